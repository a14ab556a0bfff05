import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CacheClosedError, InvalidArgumentError } from 'tiercache/errors';
import { HttpError, toErrorResponse } from '../../../service/http/index.ts';
import { RoomBusyError, RoomLimitError, RoomStoppedError } from '../../../service/runtime/index.ts';

test('library errors map to HTTP statuses and keep their TIERCACHE_ code', () => {
  const cases: Array<[unknown, number, string]> = [
    [new InvalidArgumentError('bad'), 400, 'TIERCACHE_INVALID_ARGUMENT'],
    [new RoomBusyError('r', 500), 503, 'TIERCACHE_ROOM_BUSY'],
    [new RoomStoppedError('r'), 503, 'TIERCACHE_ROOM_STOPPED'],
    [new RoomLimitError(10), 503, 'TIERCACHE_ROOM_LIMIT'],
    [
      new HttpError(413, 'TIERCACHE_INVALID_ARGUMENT', 'too big'),
      413,
      'TIERCACHE_INVALID_ARGUMENT',
    ],
  ];
  for (const [error, status, code] of cases) {
    const response = toErrorResponse(error);
    assert.equal(response.status, status, code);
    assert.equal(response.body.error.code, code);
    assert.equal(response.body.error.message, (error as Error).message);
  }
});

test('anything else is a 500 that does not leak its message', () => {
  for (const error of [new Error('secret detail'), new CacheClosedError('c'), 'a string']) {
    const response = toErrorResponse(error);
    assert.equal(response.status, 500);
    assert.equal(response.body.error.code, 'TIERCACHE_INTERNAL');
    assert.doesNotMatch(response.body.error.message, /secret/);
  }
});

test('running out of file descriptors (EMFILE, ENFILE, also as a cause) sheds load with 503 TIERCACHE_OVERLOADED', () => {
  const emfile = Object.assign(new Error('EMFILE: too many open files, open'), { code: 'EMFILE' });
  const enfile = Object.assign(new Error('ENFILE: file table overflow'), { code: 'ENFILE' });
  for (const error of [emfile, enfile, new Error('owner unreachable', { cause: emfile })]) {
    const response = toErrorResponse(error);
    assert.equal(response.status, 503);
    assert.equal(response.body.error.code, 'TIERCACHE_OVERLOADED');
  }
});
