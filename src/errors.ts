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
  VALUE_TOO_LARGE: 'TIERCACHE_VALUE_TOO_LARGE',
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

/**
 * The base of every tiercache error: `code` is stable, `cause` carries the underlying error.
 * Applications may extend it with codes of their own (`C`), as the room service does.
 */
export class TiercacheError<C extends string = ErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * An option passed to a constructor is not acceptable: out of range, unknown (the message names
 * the closest known option), or, as the {@link InvalidOptionTypeError} subclass, of the wrong
 * type. Code `TIERCACHE_INVALID_OPTION`; `option` names the option to change.
 */
export class InvalidOptionError extends TiercacheError {
  /** The option that must change, e.g. `shards` or `breaker.coolDownMs`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(ErrorCodes.INVALID_OPTION, `Invalid option "${option}": ${message}`);
    this.option = option;
  }
}

/** An option passed to a constructor has the wrong type (a string where a number goes). */
export class InvalidOptionTypeError extends InvalidOptionError {}

/**
 * An argument passed to a method (a key, a value, a TTL) is not acceptable; nothing was changed.
 * Code `TIERCACHE_INVALID_ARGUMENT`.
 */
export class InvalidArgumentError extends TiercacheError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_ARGUMENT, message);
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

/**
 * A value is larger than a limit of the tier that would store it: `maxValueBytes` for Redis, or
 * the memory tier's `maxEntryBytes`. Thrown by writes of a `strict` cache (nothing is written),
 * otherwise reported as an `error` event while the tiers that can hold the value still do.
 */
export class ValueTooLargeError extends TiercacheError {
  /** The key whose value was too large. */
  readonly key: string;
  /** Bytes of the encoded value (memory: of the whole entry, header and key included). */
  readonly bytes: number;
  /** The limit it exceeded, in bytes. */
  readonly limit: number;
  /** The option that sets the limit: `maxValueBytes` or `memory.maxEntryBytes`. */
  readonly option: string;

  constructor(key: string, bytes: number, limit: number, option: string, tier: string) {
    super(
      ErrorCodes.VALUE_TOO_LARGE,
      `Value of "${key}" is ${bytes} bytes, over ${option} (${limit}) of the ${tier} tier; raise ${option} or store a smaller value`,
    );
    this.key = key;
    this.bytes = bytes;
    this.limit = limit;
    this.option = option;
  }
}
