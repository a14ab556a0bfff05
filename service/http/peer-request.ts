import type { IncomingMessage } from 'node:http';
import { FORWARD_SIGNATURE_HEADER, verifyForward } from '../cluster/forward-signature.ts';
import { FORWARDED_HEADER, type NodeRing } from '../cluster/index.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';

/**
 * Whether `req` was forwarded by a peer node: false when it carries no {@link FORWARDED_HEADER};
 * true when the header names another node of the ring and the request is signed with the
 * cluster `secret`; otherwise a 403 `TIERCACHE_FORBIDDEN` (a client posing as a node, or a peer
 * with another CLUSTER_SECRET). Only a true answer earns a peer's treatment.
 */
export function isPeerRequest(
  req: IncomingMessage,
  ring: NodeRing,
  secret: string | undefined,
): boolean {
  const from = req.headers[FORWARDED_HEADER];
  if (from === undefined) return false;
  const signature = req.headers[FORWARD_SIGNATURE_HEADER];
  if (
    secret !== undefined &&
    typeof from === 'string' &&
    from !== ring.self &&
    ring.isPeer(from) &&
    verifyForward(
      secret,
      typeof signature === 'string' ? signature : undefined,
      from,
      req.method ?? 'GET',
      req.url ?? '/',
    )
  ) {
    return true;
  }
  throw new HttpError(
    403,
    HttpErrorCodes.FORBIDDEN,
    `The ${FORWARDED_HEADER} header is honoured only from peer nodes signing with the shared CLUSTER_SECRET; clients must not send it`,
  );
}
