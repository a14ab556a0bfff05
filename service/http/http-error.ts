import { ErrorCodes } from 'tiercache/errors';
import { NodeUnreachableError } from '../cluster/index.ts';
import { RoomErrorCodes } from '../runtime/index.ts';

/** Codes of failures that exist only at the HTTP edge of the service. */
export const HttpErrorCodes = {
  NOT_FOUND: 'TIERCACHE_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'TIERCACHE_METHOD_NOT_ALLOWED',
  NODE_UNREACHABLE: 'TIERCACHE_NODE_UNREACHABLE',
  MISDIRECTED: 'TIERCACHE_MISDIRECTED',
  TOO_MANY_SOCKETS: 'TIERCACHE_TOO_MANY_SOCKETS',
  UNAUTHORIZED: 'TIERCACHE_UNAUTHORIZED',
  FORBIDDEN: 'TIERCACHE_FORBIDDEN',
  INTERNAL: 'TIERCACHE_INTERNAL',
  BAD_REQUEST: 'TIERCACHE_BAD_REQUEST',
  HEADERS_TOO_LARGE: 'TIERCACHE_HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT: 'TIERCACHE_REQUEST_TIMEOUT',
  OVERLOADED: 'TIERCACHE_OVERLOADED',
  TOO_MANY_CONNECTIONS: 'TIERCACHE_TOO_MANY_CONNECTIONS',
} as const;

/**
 * True when `error` (or an error it wraps as `cause`) is the process running out of file
 * descriptors (EMFILE, ENFILE): load to shed with a 503, not a bug.
 */
export function isOutOfDescriptors(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'EMFILE' || code === 'ENFILE') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The 503 that sheds load while the process is out of file descriptors. */
export function overloaded(): HttpError {
  return new HttpError(
    503,
    HttpErrorCodes.OVERLOADED,
    'This node is out of file descriptors (EMFILE); retry shortly, or raise `ulimit -n` or lower MAX_CONNECTIONS',
  );
}

/**
 * The 421 a node answers to a request marked as forwarded for a room it does not own: handling
 * it would run the room on two nodes, forwarding it again could loop.
 */
export function misdirected(rid: string, self: string, owner: string): HttpError {
  return new HttpError(
    421,
    HttpErrorCodes.MISDIRECTED,
    `This node (${self}) does not own room "${rid}" (its owner is ${owner}); send the request there or to any node without the forwarding header`,
  );
}

/** A request failed in a way the client must hear about: an HTTP status and a `TIERCACHE_` code. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  override get name(): string {
    return 'HttpError';
  }
}

// How library errors map to HTTP: a client mistake is 4xx, a room that cannot take the message
// right now is 503 (retry), anything else is the server's fault.
const STATUS_BY_CODE: Record<string, number> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.INVALID_OPTION]: 400,
  [RoomErrorCodes.ROOM_BUSY]: 503,
  [RoomErrorCodes.ROOM_STOPPED]: 503,
  [RoomErrorCodes.ROOM_LIMIT]: 503,
};

/** The status and JSON body that report `error` to the client. */
export function toErrorResponse(error: unknown): {
  status: number;
  body: { error: { code: string; message: string; details?: unknown } };
} {
  if (!(error instanceof HttpError) && isOutOfDescriptors(error))
    return toErrorResponse(overloaded());
  if (error instanceof HttpError) {
    const body = { error: { code: error.code, message: error.message } };
    return {
      status: error.status,
      body:
        error.details === undefined ? body : { error: { ...body.error, details: error.details } },
    };
  }
  if (error instanceof NodeUnreachableError) {
    return {
      status: 502,
      body: { error: { code: HttpErrorCodes.NODE_UNREACHABLE, message: error.message } },
    };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in STATUS_BY_CODE) {
    return {
      status: STATUS_BY_CODE[code]!,
      body: { error: { code, message: (error as Error).message } },
    };
  }
  return {
    status: 500,
    body: {
      error: { code: HttpErrorCodes.INTERNAL, message: 'Internal error; see the server log' },
    },
  };
}
