import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes } from 'tiercache/errors';
import { z } from 'zod';
import { forwardRequest, NODE_HEADER, type NodeRing } from '../cluster/index.ts';
import { IdempotencyKeySchema, RoomIdSchema, RoomMessageSchema } from '../dj-room/index.ts';
import type { RoomService } from '../room-service.ts';
import { HttpError, HttpErrorCodes, misdirected } from './http-error.ts';
import { isPeerRequest } from './peer-request.ts';
import { readJsonBody } from './read-body.ts';
import { sendJson } from './respond.ts';
import { validate } from './validate.ts';

const ROOM_PATH = /^\/rooms\/([^/]+)(\/messages|\/stats)?$/;
const USER_PATH = /^\/users\/([^/]+)$/;
const UserIdSchema = z.coerce.number().int().min(1).max(2_147_483_647);

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, `Malformed path segment "${segment}"`);
  }
}

/**
 * The room API: `POST /rooms/:rid/messages`, `GET /rooms/:rid`, `GET /rooms/:rid/stats` (all
 * forwarded to the rid's owner when that is another node), `GET /rooms` (this node's live
 * rooms) and `GET /users/:id`. Returns a handler that answers false for paths it does not own.
 */
export function roomRoutes(
  service: RoomService,
  ring: NodeRing,
  onPeer: (req: IncomingMessage) => void = () => undefined,
): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> {
  const maxBody = service.config.maxBodyBytes;
  const secret = service.config.clusterSecret;

  async function room(req: IncomingMessage, res: ServerResponse, rawRid: string, tail?: string) {
    const rid = validate(RoomIdSchema, decodeSegment(rawRid), 'room id');
    const method = req.method ?? 'GET';
    const allowed = tail === '/messages' ? 'POST' : 'GET';
    if (method !== allowed) {
      throw new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, `Use ${allowed} on ${req.url}`);
    }
    const owner = ring.owner(rid);
    // The forwarding header is honoured only when a peer signed it (a client sending it gets a
    // 403), and even then it never makes a non-owner handle a room: forwarding is one hop.
    const fromPeer = isPeerRequest(req, ring, secret);
    if (fromPeer) onPeer(req);
    if (owner !== ring.self && fromPeer) throw misdirected(rid, ring.self, owner);
    // The body is read (bounded) before forwarding, so an oversized one never crosses nodes.
    const body = method === 'POST' ? await readJsonBody(req, maxBody) : undefined;
    if (owner !== ring.self) {
      const raw = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return forwardRequest(
        req,
        res,
        owner,
        ring.self,
        raw,
        service.config.forwardTimeoutMs,
        secret,
      );
    }
    const headers = { [NODE_HEADER]: ring.self };
    if (tail === '/messages') {
      const message = validate(RoomMessageSchema, body, 'room message');
      const key = req.headers['idempotency-key'];
      const delivery = await service.deliver(
        rid,
        message,
        typeof key === 'string'
          ? validate(IdempotencyKeySchema, key, 'Idempotency-Key')
          : undefined,
      );
      const reply = delivery.status === 200 ? delivery.reply : { queued: true };
      return sendJson(res, delivery.status, reply, headers);
    }
    if (tail === '/stats') {
      const worker = service.router.get(rid);
      if (worker === undefined) {
        throw new HttpError(
          404,
          HttpErrorCodes.NOT_FOUND,
          `Room "${rid}" is not live on this node`,
        );
      }
      return sendJson(res, 200, await worker.command('stats'), headers);
    }
    return sendJson(res, 200, await service.snapshot(rid), headers);
  }

  return async (req, res, path) => {
    const match = ROOM_PATH.exec(path);
    if (match !== null) {
      await room(req, res, match[1]!, match[2]);
      return true;
    }
    if (path === '/rooms' && req.method === 'GET') {
      const rooms = service.router.rids().map((rid) => {
        const worker = service.router.get(rid);
        return { rid, pending: worker?.pending ?? 0, handled: worker?.handled ?? 0 };
      });
      sendJson(res, 200, { node: ring.self, rooms });
      return true;
    }
    const user = USER_PATH.exec(path);
    if (user !== null && req.method === 'GET') {
      const id = validate(UserIdSchema, decodeSegment(user[1]!), 'user id');
      const profile = await service.profiles.one(id);
      if (profile === undefined) {
        throw new HttpError(404, HttpErrorCodes.NOT_FOUND, `No user with id ${id}`);
      }
      sendJson(res, 200, profile);
      return true;
    }
    return false;
  };
}
