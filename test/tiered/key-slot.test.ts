import assert from 'node:assert/strict';
import { it } from 'node:test';
import { keySlot } from 'tiercache';
import { crc16 } from '../../src/tiered/key-slot.ts';

it('computes CRC16-XMODEM and Redis Cluster key slots', () => {
  // The check value of CRC16-XMODEM, and slots published in the Redis Cluster specification.
  assert.equal(crc16(Buffer.from('123456789')), 0x31c3);
  assert.equal(keySlot('123456789'), 0x31c3);
  assert.equal(keySlot('foo'), 12182);
  assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
  assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
  // An empty tag ("{}") is no tag: the whole key is hashed.
  assert.equal(keySlot('foo{}{bar}'), crc16(Buffer.from('foo{}{bar}')) % 16384);
  assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'));
});
