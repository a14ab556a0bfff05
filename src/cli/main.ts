/**
 * The process entry of the `tiercache` command (launched by bin/tiercache.js): wires the real
 * stdout, stderr and environment into {@link runCli}, and Ctrl-C into an abort so `watch` ends
 * cleanly.
 */
import { runCli } from './run-cli.ts';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
