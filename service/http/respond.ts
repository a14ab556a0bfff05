import type { ServerResponse } from 'node:http';
import { toErrorResponse } from './http-error.ts';

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
