import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { explainLoopbackTrust, loopbackTrust } from 'tiercache/diagnostics';
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

/**
 * Guards the dashboard's API (`/api/*`: it switches modes, starts load, runs GCs) with the
 * rule the diagnostics use: loopback clients are served; anyone else must present the debug
 * token as `Authorization: Bearer <token>` or `?token=`. Without a token only loopback is served.
 * A browser is a loopback client too, so requests another site makes it send are refused: an
 * `Origin` must match the `Host`. Loopback trust is the library's `/debug` policy
 * ({@link loopbackTrust}): no proxy header, and a loopback `Host` (a DNS rebinding page reaches
 * 127.0.0.1 under its own host name).
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
    const trust = loopbackTrust(req);
    if (trust === 'trusted') return;
    if (expected === undefined) {
      throw new HttpError(
        403,
        HttpErrorCodes.FORBIDDEN,
        `The dashboard API serves direct loopback clients addressing it by a loopback Host only (${explainLoopbackTrust(trust)}); set DEBUG_TOKEN to allow others`,
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
