import { ErrorCodes } from 'tiercache/errors';
import { HttpError } from './http-error.ts';

// `.` and `..` segments, plain or percent-encoded (`%2e`, `.%2E`, ...): URL parsing resolves
// them (`/rooms/..` becomes `/`), so they are refused before it runs.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Refuses (400) a request target whose path has a `.` or `..` segment, plain or percent-encoded,
 * or a backslash (which URL parsing reads as `/`): no route of the service has one, and letting
 * the URL parser resolve it would serve another route than the one the client named.
 */
export function checkRawPath(target: string | undefined): void {
  const raw = target ?? '/';
  const end = raw.search(/[?#]/);
  const path = end === -1 ? raw : raw.slice(0, end);
  // The common case, on every request: nothing that could form a dot segment or a backslash.
  if (!/[.%\\]/.test(path)) return;
  if (path.includes('\\') || /%5c/i.test(path)) {
    throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, 'The request path must not contain "\\"');
  }
  for (const segment of path.split('/')) {
    if (DOT_SEGMENT.test(segment)) {
      throw new HttpError(
        400,
        ErrorCodes.INVALID_ARGUMENT,
        `The request path must not contain a "${segment}" segment (room ids "." and ".." are not allowed)`,
      );
    }
  }
}
