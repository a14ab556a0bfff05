import {
  decodeProfile,
  diffSummaries,
  type ProfileSummary,
  summarizeProfile,
} from '../diagnostics/profile-summary.ts';
import { InvalidArgumentError } from '../errors.ts';
import { relativeFile } from '../memory/registry.ts';
import { CliError } from './cli-error.ts';
import {
  COMMON_OPTIONS,
  type Command,
  parseCommandArgs,
  positiveNumber,
  requestOptions,
} from './command.ts';
import { isUrl, readSource, redact, routeUrl } from './fetch-source.ts';
import { formatPercent, formatValue, row } from './format.ts';

const HELP = `Usage: tiercache top <url|file> [--sample inuse_space|alloc_space|cpu] [--base <url|file>]
                    [--seconds N] [--nodes N] [--token <token>] [--timeout S]

Prints the functions holding (or allocating, or burning) the most, like \`go tool pprof -top\`.
With --base, prints the growth from the base profile to this one instead: the way to see
what a leak added between two heap profiles.

  <url|file>       a profile file (gzipped or raw profile.proto), a profile URL, or the debug
                   server's base URL (then /debug/pprof/heap, or /debug/pprof/allocs with
                   --sample alloc_space)
  --sample <type>  sample type to rank by (default: the profile's own, e.g. inuse_space)
  --base <source>  a base profile to subtract (file or URL)
  --seconds N      window for allocs and CPU profiles fetched from a URL (at most 60)
  --nodes N        how many functions to print (default 20)
  --token <token>  diagnostics token (default: $TIERCACHE_DEBUG_TOKEN)
  --timeout S      seconds to wait for each answer (default: the profile window + 10, or 15)
  -h, --help       this help
`;

/** `tiercache top <url|file>`: top functions of a profile, or growth against a base. */
export const topCommand: Command = {
  name: 'top',
  summary: 'top functions of a heap / allocs / CPU profile, or the growth between two',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('top', argv, {
      ...COMMON_OPTIONS,
      sample: { type: 'string' },
      base: { type: 'string' },
      seconds: { type: 'string' },
      nodes: { type: 'string' },
    });
    if (values.help) return void io.stdout.write(HELP);
    const [source] = positionals;
    if (source === undefined || positionals.length > 1) {
      throw new CliError('top: expected one <url|file> (see tiercache top --help)', {
        usage: true,
      });
    }
    const nodes = Math.floor(positiveNumber('top', 'nodes', values.nodes, 20));
    const seconds =
      values.seconds === undefined
        ? undefined
        : positiveNumber('top', 'seconds', values.seconds, 0);
    const request = requestOptions('top', values, io);
    const load = async (from: string): Promise<ProfileSummary> => {
      const target = isUrl(from) ? profileUrl(from, values.sample, seconds) : from;
      const bytes = await readSource(target, request);
      return asCliError(redact(from), () => summarizeProfile(decodeProfile(bytes), values.sample));
    };
    const current = await load(source);
    const base = values.base === undefined ? undefined : await load(values.base);
    const summary =
      base === undefined ? current : asCliError('--base', () => diffSummaries(base, current));
    io.stdout.write(renderTop(summary, nodes, values.base !== undefined));
  },
};

/** Runs `task`, turning the library's argument errors (not a profile, no such sample type) into one CLI line. */
function asCliError<T>(what: string, task: () => T): T {
  try {
    return task();
  } catch (err) {
    if (err instanceof InvalidArgumentError)
      throw new CliError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
}

function profileUrl(source: string, sample: string | undefined, seconds: number | undefined): URL {
  const route =
    sample === 'alloc_space'
      ? '/debug/pprof/allocs'
      : sample === 'cpu'
        ? '/debug/pprof/profile'
        : '/debug/pprof/heap';
  const url = routeUrl(source, route);
  if (seconds !== undefined) url.searchParams.set('seconds', String(seconds));
  return url;
}

/** Renders a summary as `go tool pprof -top` does: flat, flat%, sum%, cum, cum%, name. */
export function renderTop(summary: ProfileSummary, nodes: number, diff: boolean): string {
  const { unit, total } = summary;
  const shown = summary.functions.slice(0, nodes);
  const shownFlat = shown.reduce((s, f) => s + f.flat, 0);
  const lines = [
    `Type: ${summary.sampleType}${diff ? ' (growth from base)' : ''}`,
    `Showing ${shown.length} of ${summary.functions.length} functions, ${formatValue(shownFlat, unit)} of ${formatValue(total, unit)} ${diff ? 'net growth' : 'total'}`,
    row(['flat', 'flat%', 'sum%', 'cum', 'cum%'], [10, 7, 7, 10, 7]),
  ];
  // Percentages are of the profile total, or of the total growth when diffing, as go pprof -diff_base does.
  const denominator = Math.abs(total);
  let sum = 0;
  for (const f of shown) {
    sum += f.flat;
    const where = f.file === '' ? '' : ` ${relativeFile(f.file)}:${f.line}`;
    lines.push(
      `${row(
        [
          formatValue(f.flat, unit),
          formatPercent(f.flat, denominator),
          formatPercent(sum, denominator),
          formatValue(f.cum, unit),
          formatPercent(f.cum, denominator),
        ],
        [10, 7, 7, 10, 7],
      )}  ${f.name}${where}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
