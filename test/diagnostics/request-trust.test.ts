import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import fc from 'fast-check';
import { loopbackTrust, PROXY_HEADERS } from '../../src/diagnostics/request-trust.ts';

/** A request as the policy sees it: the peer address and the headers. */
function req(
  remoteAddress: string | undefined,
  headers: Record<string, string> = {},
): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

test('a direct loopback request under a loopback Host is trusted', () => {
  for (const remote of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
    for (const host of [
      undefined,
      'localhost:8080',
      '127.0.0.1',
      '[::1]:9',
      'app.localhost:3000',
    ]) {
      const headers: Record<string, string> = host === undefined ? {} : { host };
      assert.equal(loopbackTrust(req(remote, headers)), 'trusted', `${remote} ${host}`);
    }
  }
});

test('a peer off loopback is remote; a foreign or malformed Host is refused', () => {
  assert.equal(loopbackTrust(req('10.0.0.2', { host: 'localhost' })), 'remote');
  assert.equal(loopbackTrust(req(undefined, { host: 'localhost' })), 'remote');
  for (const host of [
    'evil.example',
    'evil.example:8080',
    '127.0.0.1.nip.io',
    'localhost.evil.example',
    '[::2]',
    'a b',
  ]) {
    assert.equal(loopbackTrust(req('127.0.0.1', { host })), 'foreign-host', host);
  }
});

test('any proxy header makes a loopback request proxied, whatever its value and Host', () => {
  fc.assert(
    fc.property(fc.constantFrom(...PROXY_HEADERS), fc.string(), (name, value) => {
      assert.equal(
        loopbackTrust(req('127.0.0.1', { host: 'localhost', [name]: value })),
        'proxied',
      );
    }),
  );
});
