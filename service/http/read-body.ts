import type { IncomingMessage } from 'node:http';
import { ErrorCodes } from 'tiercache/errors';
import { HttpError } from './http-error.ts';

/**
 * Reads a JSON request body of at most `maxBytes`. A larger body is refused with 413 as soon as
 * it passes the limit (by its `content-length`, or while streaming), never buffered whole.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  requireJsonType(req);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // The stream failed: the client went away mid-upload. Its mistake, not the server's: a 400
    // (that no one will read), never a logged 500.
    throw new HttpError(
      400,
      ErrorCodes.INVALID_ARGUMENT,
      'The request body ended before it was complete',
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
  } catch {
    throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, 'The request body is not valid JSON');
  }
}

/**
 * Refuses (415) a request not declared as `application/json`. Besides naming the format, this
 * makes a cross-site browser request need a CORS preflight, which this server never grants.
 */
export function requireJsonType(req: IncomingMessage): void {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new HttpError(
      415,
      ErrorCodes.INVALID_ARGUMENT,
      'Send the body as JSON with content-type: application/json',
    );
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    413,
    ErrorCodes.INVALID_ARGUMENT,
    `The request body exceeds ${maxBytes} bytes (MAX_BODY_BYTES)`,
  );
}
