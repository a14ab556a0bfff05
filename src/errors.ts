/**
 * Every error tiercache throws or reports: one base class with a stable `code`, a subclass per
 * failure. Codes never change once published; messages may. Catch by class or by `code`.
 *
 * @module
 */

/** The stable codes of every tiercache error, as a table so callers can switch on them. */
export const ErrorCodes = {
  INVALID_OPTION: 'TIERCACHE_INVALID_OPTION',
  INVALID_ARGUMENT: 'TIERCACHE_INVALID_ARGUMENT',
  ENTRY_TOO_LARGE: 'TIERCACHE_ENTRY_TOO_LARGE',
  STORE_CLOSED: 'TIERCACHE_STORE_CLOSED',
  CACHE_CLOSED: 'TIERCACHE_CACHE_CLOSED',
  REDIS_ERROR: 'TIERCACHE_REDIS_ERROR',
  REDIS_TIMEOUT: 'TIERCACHE_REDIS_TIMEOUT',
  CIRCUIT_OPEN: 'TIERCACHE_CIRCUIT_OPEN',
  CODEC_ERROR: 'TIERCACHE_CODEC_ERROR',
  LOADER_ERROR: 'TIERCACHE_LOADER_ERROR',
  INSECURE_DEBUG: 'TIERCACHE_INSECURE_DEBUG',
  MISSING_DEPENDENCY: 'TIERCACHE_MISSING_DEPENDENCY',
  PROFILE_BUSY: 'TIERCACHE_PROFILE_BUSY',
  ROOM_BUSY: 'TIERCACHE_ROOM_BUSY',
  ROOM_STOPPED: 'TIERCACHE_ROOM_STOPPED',
  ROOM_LIMIT: 'TIERCACHE_ROOM_LIMIT',
} as const;

/** One of the values of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Codes of the process warnings tiercache emits through `process.emitWarning`. */
export const WarningCodes = {
  MANY_STORES: 'TIERCACHE_MANY_STORES',
  MEMORY_GROWTH: 'TIERCACHE_MEMORY_GROWTH',
  /** An `onRemove` callback threw where no caller could receive the error (the expiry sweep). */
  ON_REMOVE_FAILED: 'TIERCACHE_ON_REMOVE_FAILED',
  CACHE_ERROR: 'TIERCACHE_CACHE_ERROR',
} as const;

/** The base of every tiercache error: `code` is stable, `cause` carries the underlying error. */
export class TiercacheError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * An option passed to a constructor has the wrong type. It is a `TypeError` (as Node's own
 * argument errors are), carrying the stable `code` `TIERCACHE_INVALID_OPTION` and the option name.
 */
export class InvalidOptionTypeError extends TypeError {
  readonly code = ErrorCodes.INVALID_OPTION;
  /** The option that must change, e.g. `shards`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`Invalid option "${option}": ${message}`);
    this.option = option;
  }

  override get name(): string {
    return 'InvalidOptionTypeError';
  }
}

/**
 * An option passed to a constructor is out of range (not a power of two, negative, too large).
 * A `RangeError` with the stable `code` `TIERCACHE_INVALID_OPTION` and the option name.
 */
export class InvalidOptionError extends RangeError {
  readonly code = ErrorCodes.INVALID_OPTION;
  /** The option that must change, e.g. `shards`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`Invalid option "${option}": ${message}`);
    this.option = option;
  }

  override get name(): string {
    return 'InvalidOptionError';
  }
}

/**
 * An argument passed to a method (a key, a value, a TTL) is not acceptable; nothing was changed.
 * A `TypeError` with the stable `code` `TIERCACHE_INVALID_ARGUMENT`.
 */
export class InvalidArgumentError extends TypeError {
  readonly code = ErrorCodes.INVALID_ARGUMENT;

  constructor(message: string) {
    super(message);
  }

  override get name(): string {
    return 'InvalidArgumentError';
  }
}

/** An entry (header + key + value) is larger than `maxEntryBytes`; the store was left as it was. */
export class EntryTooLargeError extends TiercacheError {
  readonly entryBytes: number;
  readonly maxEntryBytes: number;

  constructor(entryBytes: number, maxEntryBytes: number) {
    super(
      ErrorCodes.ENTRY_TOO_LARGE,
      `Entry of ${entryBytes} bytes (header + key + value) exceeds maxEntryBytes (${maxEntryBytes}); raise maxEntryBytes or store a smaller value`,
    );
    this.entryBytes = entryBytes;
    this.maxEntryBytes = maxEntryBytes;
  }
}

/** A MemoryStore was used after `close()`. */
export class StoreClosedError extends TiercacheError {
  constructor(name: string) {
    super(ErrorCodes.STORE_CLOSED, `MemoryStore "${name}" is closed; create a new store`);
  }
}

/** A TieredCache was used after `close()`. */
export class CacheClosedError extends TiercacheError {
  constructor(name: string) {
    super(ErrorCodes.CACHE_CLOSED, `TieredCache "${name}" is closed; create a new cache`);
  }
}

/** A Redis command failed (connection refused, reset, server error); `cause` is the client's error. */
export class RedisError extends TiercacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.REDIS_ERROR, message, options);
  }
}

/** A Redis command did not answer within the configured timeout. */
export class RedisTimeoutError extends TiercacheError {
  readonly timeoutMs: number;

  constructor(command: string, timeoutMs: number) {
    super(ErrorCodes.REDIS_TIMEOUT, `Redis ${command} did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Redis was skipped: the circuit breaker is open after repeated failures (see `breaker`). */
export class CircuitOpenError extends TiercacheError {
  constructor(operation: string) {
    super(
      ErrorCodes.CIRCUIT_OPEN,
      `Redis ${operation} skipped: the circuit breaker is open after repeated failures`,
    );
  }
}

/** Bytes could not be encoded or decoded by the cache's codec. */
export class CodecError extends TiercacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CODEC_ERROR, message, options);
  }
}

/** The loader failed or returned something that is not a batch result; `cause` is its error. */
export class LoaderError extends TiercacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.LOADER_ERROR, message, options);
  }
}

/** The debug server would expose profiles on a non-loopback address without a token. */
export class InsecureDebugError extends TiercacheError {
  constructor(message: string) {
    super(ErrorCodes.INSECURE_DEBUG, message);
  }
}

/** A feature needs an optional package that is not installed (`npm install <package>`). */
export class MissingDependencyError extends TiercacheError {
  /** The npm package to install, e.g. `prom-client`. */
  readonly packageName: string;

  constructor(packageName: string, feature: string, options?: { cause?: unknown }) {
    super(
      ErrorCodes.MISSING_DEPENDENCY,
      `${feature} needs the optional package "${packageName}", which is not installed; run \`npm install ${packageName}\``,
      options,
    );
    this.packageName = packageName;
  }
}

/** A profile was requested while another one is being taken; only one runs at a time. */
export class ProfileBusyError extends TiercacheError {
  constructor(running: string) {
    super(
      ErrorCodes.PROFILE_BUSY,
      `A ${running} profile is being taken; only one profile runs at a time, retry when it ends`,
    );
  }
}

/** A room's mailbox is full; the message was not queued. */
export class RoomBusyError extends TiercacheError {
  readonly rid: string;

  constructor(rid: string, capacity: number) {
    super(
      ErrorCodes.ROOM_BUSY,
      `Room "${rid}" has ${capacity} messages waiting (its mailbox is full); retry later`,
    );
    this.rid = rid;
  }
}

/** A message was sent to a room worker that has stopped (idle, or the router is shutting down). */
export class RoomStoppedError extends TiercacheError {
  readonly rid: string;

  constructor(rid: string) {
    super(ErrorCodes.ROOM_STOPPED, `Room "${rid}" has stopped and takes no more messages; resend`);
    this.rid = rid;
  }
}

/** The router already runs its maximum number of live rooms and none of them is idle. */
export class RoomLimitError extends TiercacheError {
  readonly maxRooms: number;

  constructor(maxRooms: number) {
    super(
      ErrorCodes.ROOM_LIMIT,
      `This node already runs ${maxRooms} live rooms (maxRooms) and none is idle; retry later or raise maxRooms`,
    );
    this.maxRooms = maxRooms;
  }
}
