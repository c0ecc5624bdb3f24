// backoff.test.mjs -- the phone's reconnect schedule (web/src/lib/conn.js):
// exponential growth, a cap, and full jitter, so that a venue full of phones
// dropped by one hub restart does not come back in lockstep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelay } from '../../web/src/lib/conn.js';

test('the window doubles per attempt from 1 s and stops at 30 s, above a 250 ms floor', () => {
  const max = (n) => retryDelay(n, () => 1);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map(max), [1250, 2250, 4250, 8250, 16250, 30250, 30250, 30250]);
  for (let n = 0; n < 12; n++) assert.equal(retryDelay(n, () => 0), 250);
});

test('40,000 phones reconnecting after one restart spread over the window', () => {
  // Attempt 1 (what a close 1001 "hub shutting down" starts from): 0.25..2.25 s.
  const buckets = new Array(8).fill(0);
  for (let i = 0; i < 40000; i++) {
    const d = retryDelay(1);
    assert.ok(d >= 250 && d <= 2250);
    buckets[Math.min(7, Math.floor(((d - 250) / 2000) * 8))]++;
  }
  // Every 250 ms slice gets about an eighth (5,000): no thundering herd.
  for (const b of buckets) assert.ok(b > 4500 && b < 5500, `bucket ${b}`);
});
