import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/tiercache.js', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/debug-server.ts', import.meta.url));

/** A fixture process serving diagnostics; `url` is its base URL. */
export interface FixtureServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns the fixture server and waits for the URL it prints. */
export async function spawnFixtureServer(env: Record<string, string> = {}): Promise<FixtureServer> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fixture], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fixture server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line) resolve(line.trim());
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The outcome of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tiercache <args>` through bin/tiercache.js, as a user would. */
export function runTiercache(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Spawns `tiercache <args>` without waiting, for commands that run until stopped. */
export function spawnTiercache(args: string[]): ChildProcess {
  return spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}
