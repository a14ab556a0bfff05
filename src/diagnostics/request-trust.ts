import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Headers a reverse proxy, load balancer or CDN adds to name the real client or the original
 * request. Any one of them means the loopback peer may be relaying someone else.
 */
export const PROXY_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'cf-connecting-ip',
  'true-client-ip',
  'fastly-client-ip',
  'via',
];

/**
 * Why a request does or does not earn loopback trust: `trusted` (a direct loopback client
 * addressing this host by a loopback name), `remote` (the peer is not on loopback), `proxied`
 * (it carries a proxy header) or `foreign-host` (its `Host` names another host: a DNS
 * rebinding page reaches 127.0.0.1 under its own name).
 */
export type LoopbackTrust = 'trusted' | 'remote' | 'proxied' | 'foreign-host';

/** True for `localhost` (and `*.localhost`) and every loopback address, bracketed or not. */
function isLoopbackName(name: string): boolean {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(bare) === 0) return false;
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  return v4.startsWith('127.') || lower === '::1';
}

/** The host name of a `Host` header (`127.0.0.1:8080`, `[::1]:80`), or undefined when malformed. */
function hostName(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The one proxy-header and Host policy of the unauthenticated paths (`/debug`, `/metrics` and
 * the room service's `/api`): a request is trusted as local only when its peer is a loopback
 * address, it carries none of {@link PROXY_HEADERS}, and its `Host` (when present) names a
 * loopback host.
 */
export function loopbackTrust(req: IncomingMessage): LoopbackTrust {
  const remote = req.socket.remoteAddress;
  if (remote === undefined || !isLoopbackName(remote)) return 'remote';
  for (const name of PROXY_HEADERS) {
    if (req.headers[name] !== undefined) return 'proxied';
  }
  const host = req.headers.host;
  if (host !== undefined) {
    const name = hostName(host);
    if (name === undefined || !isLoopbackName(name)) return 'foreign-host';
  }
  return 'trusted';
}

/** A sentence telling the client why `verdict` (not `trusted`) refused it, for a 403 body. */
export function explainLoopbackTrust(verdict: LoopbackTrust): string {
  switch (verdict) {
    case 'remote':
      return 'only loopback clients are served without a token';
    case 'proxied':
      return `requests carrying a proxy header (${PROXY_HEADERS.join(', ')}) are relayed for someone else and are not trusted as local`;
    case 'foreign-host':
      return 'the Host header must name a loopback host (localhost, 127.0.0.1, [::1]) to be trusted as local';
    default:
      return 'trusted as local';
  }
}
