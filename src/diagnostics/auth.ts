import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { InvalidOptionError } from '../errors.ts';
import { stringOption } from '../options-check.ts';
import { loopbackTrust } from './request-trust.ts';

/** Shortest token accepted: 16 characters keep guessing out of reach over HTTP. */
export const MIN_TOKEN_LENGTH = 16;

/** Validates the `token` option: undefined, or a string of at least 16 characters. */
export function validateToken(token: unknown): string | undefined {
  if (token === undefined) return undefined;
  stringOption('token', token, '');
  if (typeof token !== 'string') return undefined;
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new InvalidOptionError(
      'token',
      `must be at least ${MIN_TOKEN_LENGTH} characters long (got ${token.length})`,
    );
  }
  return token;
}

/** True for `localhost` and every loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 0) return false;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return v4.startsWith('127.') || bare === '::1';
}

/**
 * Decides whether a request may read diagnostics. With a token: the request must carry it as
 * `Authorization: Bearer <token>` or `?token=<token>`, compared in constant time. Without one:
 * only requests {@link loopbackTrust} trusts are served: loopback clients, with no proxy header
 * (a same-host reverse proxy makes every remote client look local) and a loopback `Host` (a
 * DNS rebinding page reaches 127.0.0.1 under its own name).
 */
export function createAuthorizer(
  token: string | undefined,
): (req: IncomingMessage, url: URL) => 'ok' | 'unauthorized' | 'forbidden' {
  // Comparing fixed-length digests keeps timingSafeEqual from leaking the token's length.
  const expected = token === undefined ? undefined : digest(token);
  return (req, url) => {
    if (expected === undefined) {
      return loopbackTrust(req) === 'trusted' ? 'ok' : 'forbidden';
    }
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length).trim()
      : url.searchParams.get('token');
    if (presented === null || presented === undefined) return 'unauthorized';
    return timingSafeEqual(digest(presented), expected) ? 'ok' : 'unauthorized';
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
