import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'node:http';
import { URL } from 'node:url';

/** Marks a request already forwarded once, so two nodes with different lists cannot ping-pong. */
export const FORWARDED_HEADER = 'x-room-forwarded-by';
/** Names the node that handled a room request, on every room response. */
export const NODE_HEADER = 'x-room-node';

// Keep-alive between nodes: forwarding is on the hot path of every foreign-room message.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host']);

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
 * the owner's answer back. Rejects with {@link NodeUnreachableError} when the owner cannot be
 * reached, or stays silent for `timeoutMs`, before it answers; a failure or a silence after that
 * cuts the response. A client that goes away takes the upstream request with it.
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  owner: string,
  self: string,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<void> {
  const target = new URL(req.url ?? '/', owner);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers[FORWARDED_HEADER] = self;
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    // `timeout` is the socket's idle time: an owner that accepts and never answers, or stops
    // mid-answer, is cut after timeoutMs of silence.
    const upstream = request(target, { method: req.method, headers, agent, timeout: timeoutMs });
    upstream.on('response', (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.on('timeout', () => {
      upstream.destroy(new Error(`no answer within ${timeoutMs} ms (FORWARD_TIMEOUT_MS)`));
    });
    upstream.on('error', (error) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        resolve();
      } else {
        reject(new NodeUnreachableError(owner, { cause: error }));
      }
    });
    // The client hung up before the answer was complete: stop waiting on the owner for it.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  });
}
