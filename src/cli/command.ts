import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';
import type { RequestOptions } from './fetch-source.ts';
import type { CliIo } from './io.ts';

/** One `tiercache` subcommand. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  run(argv: string[], io: CliIo): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: typed flag values and the positionals. */
export type ParsedArgs<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** The flags every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  token: { type: 'string' },
  timeout: { type: 'string' },
} as const satisfies Options;

/**
 * Parses a command's flags strictly; unknown flags and missing values become a usage
 * `CliError` naming the command, so the user sees one line and exit code 2.
 */
export function parseCommandArgs<T extends Options>(
  command: string,
  argv: string[],
  options: T,
): ParsedArgs<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message} (see tiercache ${command} --help)`, {
      usage: true,
      cause: err,
    });
  }
}

/** The token from `--token`, else `TIERCACHE_DEBUG_TOKEN`. */
export function tokenFrom(flag: string | undefined, io: CliIo): string | undefined {
  return flag ?? io.env.TIERCACHE_DEBUG_TOKEN;
}

/** Longest `--timeout`, seconds: an hour is already far past any profile window. */
const MAX_TIMEOUT_SECONDS = 3600;

/** How the common flags say to make requests: the token, `--timeout` and Ctrl-C. */
export function requestOptions(
  command: string,
  values: { token?: string | undefined; timeout?: string | undefined },
  io: CliIo,
): RequestOptions {
  const seconds =
    values.timeout === undefined
      ? undefined
      : positiveNumber(command, 'timeout', values.timeout, 0);
  if (seconds !== undefined && seconds > MAX_TIMEOUT_SECONDS) {
    throw new CliError(
      `${command}: --timeout must be at most ${MAX_TIMEOUT_SECONDS} seconds, got "${values.timeout}"`,
      { usage: true },
    );
  }
  return {
    token: tokenFrom(values.token, io),
    timeoutMs: seconds === undefined ? undefined : seconds * 1000,
    signal: io.signal,
  };
}

/** Parses a positive number flag, or throws a usage error naming it. */
export function positiveNumber(
  command: string,
  flag: string,
  raw: string | undefined,
  fallback: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new CliError(`${command}: --${flag} must be a positive number, got "${raw}"`, {
      usage: true,
    });
  }
  return value;
}
