import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DebugServer, startDebugServer } from 'tiercache/diagnostics';
import { runCli } from '../../src/cli/index.ts';

const TOKEN = 'redaction-secret-0123456789abcdef';
let server: DebugServer;
before(async () => {
  server = await startDebugServer({ port: 0, token: TOKEN });
});
after(() => server.close());

/** Runs the CLI in-process and returns everything it printed. */
async function cli(args: string[]): Promise<{ code: number; printed: string }> {
  let printed = '';
  const sink = {
    write: (text: string) => {
      printed += text;
    },
  };
  const code = await runCli(args, { stdout: sink, stderr: sink, env: {} });
  return { code, printed };
}

test('watch prints its URL with the ?token= value redacted', async () => {
  const { code, printed } = await cli([
    'watch',
    `${server.url}/debug/memstats?token=${TOKEN}`,
    '--count',
    '1',
  ]);
  assert.equal(code, 0, printed);
  assert.match(printed, /^watching \S+\/debug\/memstats\?token=\*\*\* every/m);
  assert.ok(!printed.includes(TOKEN), printed);
});

test('every error that names the URL or source keeps the token out', async () => {
  const cases: { args: string[]; expect: RegExp }[] = [
    // memstats against a route that serves something else
    {
      args: ['memstats', `${server.url}/metrics?token=${TOKEN}`],
      expect: /token=\*\*\* did not return a tiercache memstats report/,
    },
    // top against a route that is not a profile
    {
      args: ['top', `${server.url}/debug/memstats?token=${TOKEN}`],
      expect: /token=\*\*\*: not a pprof profile/,
    },
    // a wrong token in the query: the 401 line
    {
      args: ['memstats', `${server.url}/debug/memstats?token=${TOKEN}-wrong`],
      expect: /token=\*\*\* answered 401/,
    },
    // a source that does not even parse as a URL
    {
      args: ['memstats', `http://exa mple.test/?token=${TOKEN}`],
      expect: /not a URL: http:\/\/exa mple\.test\/\?token=\*\*\*/,
    },
    // a password in the URL is redacted as well
    {
      args: ['memstats', `http://user:${TOKEN}@exa mple.test/`],
      expect: /not a URL: http:\/\/user:\*\*\*@exa mple\.test\//,
    },
  ];
  for (const { args, expect } of cases) {
    const { code, printed } = await cli(args);
    assert.notEqual(code, 0, args.join(' '));
    assert.match(printed, expect);
    assert.ok(!printed.includes(TOKEN), printed);
  }
});
