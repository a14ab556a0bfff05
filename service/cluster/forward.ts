import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'node:http';
import { URL } from 'node:url';
import { FORWARD_SIGNATURE_HEADER, signForward } from './forward-signature.ts';

/** Marks a request already forwarded once, so two nodes with different lists cannot ping-pong. */
export const FORWARDED_HEADER = 'x-room-forwarded-by';
/** Names the node that handled a room request, on every room response. */
export const NODE_HEADER = 'x-room-node';

// Keep-alive between nodes: forwarding is on the hot path of every foreign-room message. Idle
// sockets are dropped after 4 s, before the peer's 5 s keep-alive timeout closes them, so a
// forward never races that close (ECONNRESET, a 502 for nothing).
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 });

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
  FORWARD_SIGNATURE_HEADER,
]);

/** The owner node could not be reached (refused, reset, unknown host) before it answered. */
export class NodeUnreachableError extends Error {
  readonly owner: string;

  constructor(owner: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`The owner of this room (${owner}) did not answer: ${reason}`, options);
    this.owner = owner;
  }

  override get name(): string {
    return 'NodeUnreachableError';
  }
}

/**
 * Sends `req` (whose body, if any, was already read into `body`) to the owner node and streams
 * the owner's answer back, marked with {@link FORWARDED_HEADER} and, given the cluster `secret`,
 * signed. The whole exchange has one deadline of `timeoutMs`, time spent queued for one of the
 * agent's sockets included: past it the client gets {@link NodeUnreachableError} (or, when the
 * answer had started, a cut response) and a request still queued is never sent. A client that
 * goes away takes the upstream request with it.
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  owner: string,
  self: string,
  body: Buffer | undefined,
  timeoutMs: number,
  secret?: string,
): Promise<void> {
  const target = new URL(req.url ?? '/', owner);
  const method = req.method ?? 'GET';
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers[FORWARDED_HEADER] = self;
  if (secret !== undefined) {
    headers[FORWARD_SIGNATURE_HEADER] = signForward(
      secret,
      self,
      method,
      target.pathname + target.search,
    );
  }
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error === undefined) resolve();
      else if (res.headersSent || res.destroyed) {
        res.destroy();
        resolve();
      } else reject(new NodeUnreachableError(owner, { cause: error }));
    };
    const upstream = request(target, { method, headers, agent });
    // One deadline for the whole exchange. A request still waiting for an agent socket reports
    // its error only once it gets one, so the deadline settles first, then destroys: a destroyed
    // request hands its socket back unused instead of being sent late.
    const deadline = setTimeout(() => {
      settle(new Error(`no complete answer within ${timeoutMs} ms (FORWARD_TIMEOUT_MS)`));
      upstream.destroy();
    }, timeoutMs);
    upstream.on('response', (answer) => {
      if (settled) {
        answer.resume();
        return;
      }
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', () => settle());
      answer.on('error', (error) => settle(error));
    });
    upstream.on('error', (error) => settle(error));
    // The client hung up before the answer was complete: stop waiting on the owner for it.
    res.on('close', () => {
      if (!res.writableFinished) {
        settle();
        upstream.destroy();
      }
    });
    upstream.end(body);
  });
}
