import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('enabled diagnostics and a running LeakWatch never keep the process alive', async () => {
  // The heap sampler, GC observer, event-loop monitor and the LeakWatch timer are all on; the
  // script ends, so the process must exit by itself well before the guard kills it.
  const script = `
    import { enableDiagnostics, LeakWatch } from 'tiercache/diagnostics';
    await enableDiagnostics();
    new LeakWatch({ intervalMs: 10 }).start();
    console.log('started');
  `;
  const result = await new Promise<{ code: number | null; signal: string | null; stdout: string }>(
    (resolve) => {
      const child = execFile(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: root, timeout: 30_000 },
        (_error, stdout) => resolve({ code: child.exitCode, signal: child.signalCode, stdout }),
      );
    },
  );
  assert.equal(result.stdout.trim(), 'started');
  assert.equal(result.signal, null, 'the process exited on its own, it was not killed');
  assert.equal(result.code, 0);
});
