import { MIN_PER_STORE_BYTES, runStoryRepro } from '../repro/index.ts';
import { CliError } from './cli-error.ts';
import { type Command, parseCommandArgs, positiveNumber } from './command.ts';

const HELP = `Usage: tiercache repro [--rooms N] [--per-store-mib N]

Replays the story's leak: creates one cache per room, as the Go room worker's Init() did, and
prints process memory after each, once with stores preallocated the way the story's bigcache
config was (1024 shards, every shard's queue allocated up front) and once with tiercache's
defaults; ends with a side-by-side table. Each mode runs in a child process of its own.

  --rooms N          rooms per mode (default 20, the story's loop; at most 1000)
  --per-store-mib N  MiB each bigcache-like store preallocates, at least 17 (default 50:
                     the story's ~500 MiB scaled by 1/10 so 20 rooms stay near 1 GiB)
  -h, --help         this help
`;

/** `tiercache repro`: the story's one-cache-per-room loop, bigcache-like next to tiercache. */
export const reproCommand: Command = {
  name: 'repro',
  summary: "replay the story's one-cache-per-room leak next to tiercache's defaults",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('repro', argv, {
      help: { type: 'boolean', short: 'h' },
      rooms: { type: 'string' },
      'per-store-mib': { type: 'string' },
    });
    if (values.help) return void io.stdout.write(HELP);
    if (positionals.length > 0) {
      throw new CliError('repro: takes no arguments (see tiercache repro --help)', { usage: true });
    }
    const rooms = positiveNumber('repro', 'rooms', values.rooms, 20);
    if (!Number.isInteger(rooms) || rooms > 1000) {
      throw new CliError(`repro: --rooms must be an integer in 1..1000, got "${values.rooms}"`, {
        usage: true,
      });
    }
    const perStoreMib = positiveNumber('repro', 'per-store-mib', values['per-store-mib'], 50);
    if (perStoreMib * 2 ** 20 < MIN_PER_STORE_BYTES) {
      throw new CliError(
        `repro: --per-store-mib must be at least ${MIN_PER_STORE_BYTES / 2 ** 20} (1024 shards x a 16 KiB entry and its index), got "${values['per-store-mib']}"`,
        { usage: true },
      );
    }
    if (perStoreMib * rooms > 8192) {
      throw new CliError(
        `repro: ${rooms} rooms x ${perStoreMib} MiB would preallocate over 8 GiB; lower --per-store-mib`,
        { usage: true },
      );
    }
    await runStoryRepro({ rooms, perStoreBytes: perStoreMib * 2 ** 20, out: io.stdout });
  },
};
