import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { createControlGuard } from '../../../service/http/control-auth.ts';

const request = (remoteAddress: string, authorization?: string) =>
  ({
    socket: { remoteAddress },
    headers: authorization === undefined ? {} : { authorization },
  }) as unknown as IncomingMessage;
const url = (query = '') => new URL(`http://node/api/mode${query}`);

test('loopback clients may use the dashboard API without a token', () => {
  const guard = createControlGuard(undefined);
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) guard(request(address), url());
});

test('without a token, other clients are refused with TIERCACHE_FORBIDDEN', () => {
  const guard = createControlGuard(undefined);
  assert.throws(() => guard(request('10.1.2.3'), url()), {
    status: 403,
    code: 'TIERCACHE_FORBIDDEN',
  });
});

test('with a token, other clients must present it (header or query)', () => {
  const token = 'correct-horse-battery-staple';
  const guard = createControlGuard(token);
  guard(request('10.1.2.3', `Bearer ${token}`), url());
  guard(request('10.1.2.3'), url(`?token=${token}`));
  assert.throws(() => guard(request('10.1.2.3'), url()), {
    status: 401,
    code: 'TIERCACHE_UNAUTHORIZED',
  });
  assert.throws(() => guard(request('10.1.2.3', 'Bearer wrong'), url()), { status: 401 });
});
