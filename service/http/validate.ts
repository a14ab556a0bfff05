import { ErrorCodes } from 'tiercache/errors';
import type { z } from 'zod';
import { HttpError } from './http-error.ts';

/** Parses `input` with `schema`, or throws a 400 naming every field that is wrong. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  throw new HttpError(
    400,
    ErrorCodes.INVALID_ARGUMENT,
    `Invalid ${what}${first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}`,
    issues,
  );
}
