/**
 * `MGET` with byte replies, sent as ioredis's own `mgetBuffer` sends it but without two costs of
 * its generic path that grow with the number of keys (measured on Node 20, 1000 keys):
 *
 * - ioredis's `Command` constructor flattens its arguments with `Array.prototype.flat`, which V8
 *   runs element by element through its generic path: ~70 µs for 1000 keys, whether the keys
 *   come as one array or spread.
 * - `Command#toWritable` measures each key with its own `Buffer.byteLength` (flattening each
 *   prefixed key, a concatenated string, on the way). Here one `Buffer.byteLength` of all the
 *   keys joined tells whether they are all ASCII, and then each key's length is its byte count:
 *   ~30 µs less for 1000 keys.
 *
 * The command is a subclass of the `Command` class of the copy of ioredis that tiercache itself
 * resolves (`createRequire` from this module: in the usual layout, the application's own), given
 * its keys after construction; everything else (queueing while connecting, the reply's parsing,
 * errors, tracing) is ioredis's. Used only where `mgetBuffer` would do no more than that: a
 * standalone client that is an instance of that same copy's `Redis` class (a client of another
 * copy, or any other object with an `mgetBuffer`, is not served: `mgetBuffer` itself is called),
 * whose `mgetBuffer` is ioredis's own (a subclass or wrapper that overrides it, for metrics or
 * routing, is honoured), without `keyPrefix`, auto-pipelining or friendly error stacks.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type { Command as IoredisCommand, Redis } from 'ioredis';
import type { RedisClient } from './redis-tier.ts';

type CommandClass = typeof IoredisCommand;

/** A subclass of ioredis's `Command` class that sends one `MGET` of its keys. */
type MgetClass = new (keys: string[]) => IoredisCommand;

/** The request `*<n>\r\n$4\r\nmget\r\n` then `$<bytes>\r\n<key>\r\n` per key, as one string. */
function mgetRequest(keys: readonly string[]): string {
  const all = keys.join('');
  // UTF-8 takes more bytes than UTF-16 units for any non-ASCII unit: equal lengths mean ASCII.
  const ascii = Buffer.byteLength(all, 'utf8') === all.length;
  let out = `*${keys.length + 1}\r\n$4\r\nmget\r\n`;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    out += `$${ascii ? key.length : Buffer.byteLength(key, 'utf8')}\r\n${key}\r\n`;
  }
  return out;
}

/** The MGET class, built on first use (ioredis is loaded only then; see {@link loadIoredis}). */
let mgetClassBuilt: MgetClass | undefined;

function mgetClass(base: CommandClass): MgetClass {
  mgetClassBuilt ??= class Mget extends base {
    constructor(keys: string[]) {
      // No arguments to flatten: the keys are set as they are, all strings already.
      super('mget', [], { replyEncoding: null });
      this.args = keys;
    }

    override toWritable(): string {
      return mgetRequest(this.args as string[]);
    }
  };
  return mgetClassBuilt;
}

/**
 * ioredis as this module resolves it (one copy, loaded once): its `Redis` and `Command` classes,
 * or null when it cannot be loaded or has no such exports (ioredis 4).
 */
let ioredis:
  | {
      Redis: (abstract new (...args: never[]) => unknown) & { prototype: { mgetBuffer: unknown } };
      Command: CommandClass;
    }
  | null
  | undefined;

function loadIoredis(): typeof ioredis {
  if (ioredis !== undefined) return ioredis;
  try {
    // Resolved from here, as the application's own import resolves it in the usual layout; a
    // client from another copy of ioredis is told apart below (`instanceof`) and not used.
    const lib = createRequire(import.meta.url)('ioredis') as Record<string, unknown>;
    ioredis =
      typeof lib.Redis === 'function' && typeof lib.Command === 'function'
        ? (lib as unknown as NonNullable<typeof ioredis>)
        : null;
  } catch {
    ioredis = null;
  }
  return ioredis;
}

/**
 * The client's `Command` class when an MGET of our own would be sent exactly as `mgetBuffer`
 * sends it, else null.
 */
function plainCommandClass(client: RedisClient): CommandClass | null {
  if (client.isCluster) return null;
  // First whether it is ioredis's client at all: anything else with an `mgetBuffer` is accepted
  // as a client (see options.ts) and need not have `options`.
  const lib = loadIoredis();
  if (lib == null || !(client instanceof lib.Redis)) return null;
  if (client.mgetBuffer !== lib.Redis.prototype.mgetBuffer) return null;
  const options = client.options;
  if (options.keyPrefix || options.enableAutoPipelining || options.showFriendlyErrorStack) {
    return null;
  }
  return lib.Command;
}

/**
 * Sends `MGET keys` on `client` and resolves with the replies as bytes (`null` for a key Redis
 * does not hold), as `client.mgetBuffer(keys)` does. `keys` becomes the command's own argument
 * array: the caller must not change it afterwards.
 */
export function mgetBuffer(client: RedisClient, keys: string[]): Promise<Array<Buffer | null>> {
  const base = plainCommandClass(client);
  if (base === null) return client.mgetBuffer(keys);
  const Mget = mgetClass(base);
  return (client as Redis).sendCommand(new Mget(keys)) as Promise<Array<Buffer | null>>;
}
