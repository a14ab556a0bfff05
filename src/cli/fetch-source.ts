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

/**
 * GETs `url` with the token (as a Bearer header) and returns the body; every failure becomes a
 * one-line `CliError` naming the URL and what to change.
 */
export async function fetchBytes(
  url: URL,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<Buffer> {
  const shown = redact(url);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      cause?.code === 'ECONNREFUSED'
        ? 'connection refused'
        : (cause?.message ?? (err as Error).message);
    throw new CliError(`cannot reach ${shown}: ${reason}`, { cause: err });
  }
  const body = Buffer.from(await response.arrayBuffer());
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
export async function readSource(source: string | URL, token: string | undefined): Promise<Buffer> {
  if (source instanceof URL) return fetchBytes(source, token);
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
