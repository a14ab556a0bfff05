import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTiercache } from './helpers.ts';

test('--help works on the program and on every command', async () => {
  const main = await runTiercache(['--help']);
  assert.equal(main.code, 0);
  for (const command of ['memstats', 'top', 'watch'])
    assert.match(main.stdout, new RegExp(`^  ${command} `, 'm'));
  for (const command of ['memstats', 'top', 'watch']) {
    const help = await runTiercache([command, '--help']);
    assert.equal(help.code, 0, command);
    assert.match(help.stdout, new RegExp(`^Usage: tiercache ${command} `), command);
    assert.equal(help.stderr, '');
  }
});

test('no command prints the usage and exits 2; an unknown one is one line and exit 2', async () => {
  const none = await runTiercache([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^Usage: tiercache <command>/);
  const unknown = await runTiercache(['flamegraph']);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr,
    'tiercache: unknown command "flamegraph"; commands: memstats, top, watch\n',
  );
});

test('bad flags and missing arguments are usage errors: one line, exit 2', async () => {
  for (const args of [
    ['top'],
    ['memstats'],
    ['watch'],
    ['top', 'x', '--nope'],
    ['watch', 'http://127.0.0.1:1', '--count', 'zero'],
  ]) {
    const result = await runTiercache(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
    assert.match(result.stderr, /^tiercache: /);
  }
});
