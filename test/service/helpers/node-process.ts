import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

const root = new URL('../../../', import.meta.url).pathname;

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A service node running as its own process (`service/main.ts`), as `npm start` runs it. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output = '';

  private constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
  }

  /** Starts a node with `env` and resolves once it prints its URL. */
  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'service/main.ts'],
      {
        cwd: root,
        // CLUSTER_SECRET: required when NODES names several nodes; a test may override it.
        env: { ...process.env, CLUSTER_SECRET: 'test-cluster-secret-0123456789', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`node did not start:\n${output}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /^(http:\/\/\S+\/)$/m.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code}:\n${output}`));
      });
    });
    const node = new NodeProcess(child, url.replace(/\/$/, ''));
    node.output = output;
    child.stdout!.on('data', (c: Buffer) => {
      node.output += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      node.output += c.toString();
    });
    return node;
  }

  /** Sends SIGTERM (graceful drain) and waits for the process to exit; returns its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const [code] = await exited;
    clearTimeout(timer);
    return code as number | null;
  }
}
