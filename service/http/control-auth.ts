import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Guards the dashboard's API (`/api/*`: it switches modes, starts load, runs GCs) with the
 * rule the diagnostics use: loopback clients are served; anyone else must present the debug
 * token as `Authorization: Bearer <token>` or `?token=`. Without a token only loopback is served.
 */
export function createControlGuard(
  token: string | undefined,
): (req: IncomingMessage, url: URL) => void {
  // Fixed-length digests keep timingSafeEqual from leaking the token's length.
  const expected = token === undefined ? undefined : digest(token);
  return (req, url) => {
    if (isLoopbackHost(req.socket.remoteAddress ?? '')) return;
    if (expected === undefined) {
      throw new HttpError(
        403,
        HttpErrorCodes.FORBIDDEN,
        'The dashboard API serves loopback clients only; set DEBUG_TOKEN to allow others',
      );
    }
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length).trim()
      : url.searchParams.get('token');
    if (
      presented === null ||
      presented === undefined ||
      !timingSafeEqual(digest(presented), expected)
    ) {
      throw new HttpError(
        401,
        HttpErrorCodes.UNAUTHORIZED,
        'Missing or wrong token for the dashboard API',
      );
    }
  };
}
