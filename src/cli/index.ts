/**
 * The `tiercache` command line: `memstats`, `top` and `watch` read what a process's
 * diagnostics serve (or profile files) and print them for a terminal. `runCli` is the whole
 * CLI as a function, so it can be embedded or tested without spawning.
 *
 * @module
 */
export { CliError } from './cli-error.ts';
export type { CliIo } from './io.ts';
export { runCli } from './run-cli.ts';
