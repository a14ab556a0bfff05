import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type HttpError, toErrorResponse } from './http-error.ts';

/** Sends `body` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Reports `error` as JSON (`{ error: { code, message } }`) with the status it maps to. */
export function sendError(res: ServerResponse, error: unknown): void {
  const { status, body } = toErrorResponse(error);
  if (status === 500) console.error('request failed:', error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body, status === 503 ? { 'retry-after': '1' } : {});
}

/**
 * Writes `error`'s status and JSON body straight to a socket the HTTP parser no longer serves
 * (an upgrade request, a malformed request, a refused connection), then ends it; with `destroy`
 * the descriptor is released as soon as the bytes are written, not once the client closes too.
 */
export function sendRawError(socket: Duplex, error: HttpError, destroy = false): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = toErrorResponse(error);
  const text = JSON.stringify(body);
  const retry = status === 503 ? 'retry-after: 1\r\n' : '';
  const raw =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(text)}\r\n${retry}` +
    `connection: close\r\n\r\n${text}`;
  if (destroy) socket.write(raw, () => socket.destroy());
  else socket.end(raw);
}
