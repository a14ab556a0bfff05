import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';

/** True when `source` is an http(s) URL rather than a file path. */
export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Resolves the URL of a diagnostics route: a URL already naming `route` (or any `/debug/`
 * path) is kept, a base URL (`http://host:6060`, `http://host/admin`) gets `route` appended.
 */
export function routeUrl(base: string, route: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new CliError(`not a URL: ${redact(base)}`, { usage: true });
  }
  if (!url.pathname.includes('/debug/') && !url.pathname.endsWith('/metrics')) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${route}`;
  }
  return url;
}

/** How long a request may take when it is not a profile window, ms. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Slack given to a profile request beyond its window, ms. */
const PROFILE_SLACK_MS = 10_000;
/** The window the server uses when a profile URL names none, and the most it accepts, s. */
const DEFAULT_PROFILE_SECONDS = 30;
const MAX_PROFILE_SECONDS = 60;

/** How a request is made: the token, its time limit, and the CLI's Ctrl-C signal. */
export interface RequestOptions {
  token: string | undefined;
  /** Give up after this long, ms. @default the profile window + 10 s, else 15 s */
  timeoutMs?: number | undefined;
  /** Aborts the request, as Ctrl-C does. */
  signal?: AbortSignal | undefined;
}

/**
 * The time a request to `url` may take: an allocs or CPU profile's window (its `seconds`,
 * else the server's 30) plus 10 s, or 15 s for everything else.
 */
export function requestTimeoutMs(url: URL): number {
  if (!/\/debug\/pprof\/(allocs|profile)$/.test(url.pathname)) return DEFAULT_TIMEOUT_MS;
  const seconds = Number(url.searchParams.get('seconds') ?? DEFAULT_PROFILE_SECONDS);
  // A bad `seconds` gets a quick 400; the clamp only keeps the timer within range.
  const window = seconds > 0 ? Math.min(seconds, MAX_PROFILE_SECONDS) : DEFAULT_PROFILE_SECONDS;
  return window * 1000 + PROFILE_SLACK_MS;
}

/**
 * GETs `url` with the token (as a Bearer header) and returns the body; every failure, a
 * timeout or Ctrl-C included, becomes a one-line `CliError` naming the URL and what to change.
 */
export async function fetchBytes(url: URL, options: RequestOptions): Promise<Buffer> {
  const shown = redact(url);
  const timeoutMs = options.timeoutMs ?? requestTimeoutMs(url);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  let body: Buffer;
  try {
    response = await fetch(url, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      signal,
    });
    // The body is read under the same signal: a server may stall after its headers too.
    body = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    if (options.signal?.aborted) {
      throw new CliError(`interrupted while waiting for ${shown}`, { cause: err });
    }
    if (timeout.aborted) {
      throw new CliError(
        `${shown} did not answer within ${timeoutMs / 1000} s (raise it with --timeout)`,
        { cause: err },
      );
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      cause?.code === 'ECONNREFUSED'
        ? 'connection refused'
        : (cause?.message ?? (err as Error).message);
    throw new CliError(`cannot reach ${shown}: ${reason}`, { cause: err });
  }
  if (response.status === 401) {
    throw new CliError(
      `${shown} answered 401 Unauthorized: pass --token or set TIERCACHE_DEBUG_TOKEN`,
    );
  }
  if (!response.ok) {
    let detail = body.toString('utf8').trim().slice(0, 300);
    try {
      detail = (JSON.parse(detail) as { error: { message: string } }).error.message;
    } catch {
      // not one of our JSON errors: show the text as is
    }
    throw new CliError(`${shown} answered ${response.status} ${response.statusText}: ${detail}`);
  }
  return body;
}

/** Reads a profile or report from a URL or a file. */
export async function readSource(source: string | URL, options: RequestOptions): Promise<Buffer> {
  if (source instanceof URL) return fetchBytes(source, options);
  try {
    return await readFile(source);
  } catch (err) {
    throw new CliError(
      `cannot read ${redact(source)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * A URL or source for messages: the value of a `token` query parameter and a URL's password
 * become `***`. Works on text too, since a source that fails to parse is printed as given.
 */
export function redact(source: string | URL): string {
  const text = source instanceof URL ? source.href : source;
  return text
    .replace(/([?&;]token=)[^&#\s]*/gi, '$1***')
    .replace(/^([a-z][\w+.-]*:\/\/[^/?#@:\s]*:)[^/?#@\s]*@/i, '$1***@');
}
