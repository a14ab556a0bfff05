import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The `host[:port]` an `Origin` names, or undefined for `null` and malformed ones. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** The host name of a `Host` header (`127.0.0.1:8080`, `[::1]:80`), or undefined when malformed. */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Guards the dashboard's API (`/api/*`: it switches modes, starts load, runs GCs) with the
 * rule the diagnostics use: loopback clients are served; anyone else must present the debug
 * token as `Authorization: Bearer <token>` or `?token=`. Without a token only loopback is served.
 * A browser is a loopback client too, so requests another site makes it send are refused: an
 * `Origin` must match the `Host`, and only a loopback `Host` earns loopback trust (a DNS
 * rebinding page reaches 127.0.0.1 under its own host name).
 */
export function createControlGuard(
  token: string | undefined,
): (req: IncomingMessage, url: URL) => void {
  // Fixed-length digests keep timingSafeEqual from leaking the token's length.
  const expected = token === undefined ? undefined : digest(token);
  return (req, url) => {
    const { host, origin } = req.headers;
    if (origin !== undefined && originHost(origin) !== host) {
      throw new HttpError(
        403,
        HttpErrorCodes.FORBIDDEN,
        `The dashboard API serves its own page only; Origin ${origin} does not match Host ${host}`,
      );
    }
    const loopbackHost = isLoopbackHost(hostName(host) ?? '');
    if (loopbackHost && isLoopbackHost(req.socket.remoteAddress ?? '')) return;
    if (expected === undefined) {
      throw new HttpError(
        403,
        HttpErrorCodes.FORBIDDEN,
        'The dashboard API serves loopback clients addressing it by a loopback Host only; set DEBUG_TOKEN to allow others',
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
