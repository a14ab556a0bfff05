import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { createControlGuard } from '../../../service/http/control-auth.ts';

const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({
    socket: { remoteAddress },
    headers: { host: '127.0.0.1:8080', ...headers },
  }) as unknown as IncomingMessage;
const url = (query = '') => new URL(`http://node/api/mode${query}`);

test('loopback clients may use the dashboard API without a token', () => {
  const guard = createControlGuard(undefined);
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) guard(request(address), url());
  guard(request('127.0.0.1', { host: 'localhost:8080' }), url());
  guard(request('::1', { host: '[::1]:8080' }), url());
  // The dashboard page's own requests carry a matching Origin.
  guard(request('127.0.0.1', { origin: 'http://127.0.0.1:8080' }), url());
});

test('without a token, other clients are refused with TIERCACHE_FORBIDDEN', () => {
  const guard = createControlGuard(undefined);
  assert.throws(() => guard(request('10.1.2.3'), url()), {
    status: 403,
    code: 'TIERCACHE_FORBIDDEN',
  });
});

test('a loopback client naming another Host (DNS rebinding) is not trusted', () => {
  const guard = createControlGuard(undefined);
  for (const host of ['rebound.attacker.example', 'rebound.attacker.example:8080', '', '%%']) {
    assert.throws(() => guard(request('127.0.0.1', { host }), url()), {
      status: 403,
      code: 'TIERCACHE_FORBIDDEN',
    });
  }
  const token = 'correct-horse-battery-staple';
  // With a token configured, such a request must present it like any remote client.
  assert.throws(() => guard(request('127.0.0.1', { host: 'rebound.attacker.example' }), url()), {
    status: 403,
  });
  createControlGuard(token)(
    request('127.0.0.1', { host: 'node.example', authorization: `Bearer ${token}` }),
    url(),
  );
});

test("another site's page (an Origin that does not match the Host) is refused", () => {
  const guard = createControlGuard('correct-horse-battery-staple');
  for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:9999']) {
    assert.throws(() => guard(request('127.0.0.1', { origin }), url()), {
      status: 403,
      code: 'TIERCACHE_FORBIDDEN',
    });
  }
});

test('with a token, other clients must present it (header or query)', () => {
  const token = 'correct-horse-battery-staple';
  const guard = createControlGuard(token);
  guard(request('10.1.2.3', { authorization: `Bearer ${token}` }), url());
  guard(request('10.1.2.3'), url(`?token=${token}`));
  assert.throws(() => guard(request('10.1.2.3'), url()), {
    status: 401,
    code: 'TIERCACHE_UNAUTHORIZED',
  });
  assert.throws(() => guard(request('10.1.2.3', { authorization: 'Bearer wrong' }), url()), {
    status: 401,
  });
});
