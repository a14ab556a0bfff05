import { CliError } from './cli-error.ts';
import type { Command } from './command.ts';
import { redact } from './fetch-source.ts';
import type { CliIo } from './io.ts';
import { memstatsCommand } from './memstats-command.ts';
import { reproCommand } from './repro-command.ts';
import { topCommand } from './top-command.ts';
import { watchCommand } from './watch-command.ts';

const COMMANDS: readonly Command[] = [memstatsCommand, topCommand, watchCommand, reproCommand];

const HELP = `Usage: tiercache <command> [options]

Reads the diagnostics a tiercache process serves (startDebugServer or the handler), and
replays the story's one-cache-per-room leak (repro).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}

Run \`tiercache <command> --help\` for a command's options.
`;

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code:
 * 0 on success, 1 on a failure, 2 on a usage error; failures are one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command === undefined) {
      throw new CliError(
        `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
        {
          usage: true,
        },
      );
    }
    await command.run(rest, io);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`tiercache: ${err.message}\n`);
      return err.exitCode;
    }
    // Redacted too: a library error may quote the URL it was given, token and all.
    io.stderr.write(
      `tiercache: unexpected error: ${redact(err instanceof Error ? err.message : String(err))}\n`,
    );
    return 1;
  }
}
