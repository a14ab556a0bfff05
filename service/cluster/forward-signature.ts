import { createHmac, timingSafeEqual } from 'node:crypto';

/** Carries `<epoch ms>.<hex HMAC-SHA256>` over the forwarding node, the method and the path. */
export const FORWARD_SIGNATURE_HEADER = 'x-room-forward-signature';

/**
 * How far a signature's timestamp may be from this node's clock, in ms: it bounds both clock
 * skew between nodes and how long a captured signature could be replayed.
 */
export const FORWARD_SIGNATURE_WINDOW_MS = 30_000;

function mac(secret: string, at: number, from: string, method: string, path: string): Buffer {
  return createHmac('sha256', secret).update(`${at}\n${from}\n${method}\n${path}`).digest();
}

/** The signature value a node sends with a request it forwards as `from` to `path`. */
export function signForward(
  secret: string,
  from: string,
  method: string,
  path: string,
  now = Date.now(),
): string {
  return `${now}.${mac(secret, now, from, method, path).toString('hex')}`;
}

/**
 * Whether `signature` was made with `secret` by `from` for this `method` and `path` within
 * {@link FORWARD_SIGNATURE_WINDOW_MS} of `now`; compared in constant time.
 */
export function verifyForward(
  secret: string,
  signature: string | undefined,
  from: string,
  method: string,
  path: string,
  now = Date.now(),
): boolean {
  const match = signature === undefined ? null : /^(\d{1,16})\.([0-9a-f]{64})$/.exec(signature);
  if (match === null) return false;
  const at = Number(match[1]);
  if (Math.abs(now - at) > FORWARD_SIGNATURE_WINDOW_MS) return false;
  return timingSafeEqual(Buffer.from(match[2]!, 'hex'), mac(secret, at, from, method, path));
}
