import { randomBytes } from 'node:crypto';

// State for monotonic ids: within one millisecond a 12-bit counter (RFC 9562 §6.2, method 1)
// keeps ids from this process strictly increasing, so they double as an insertion order.
let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7 (time-ordered, RFC 9562): 48-bit Unix-ms timestamp, then a per-millisecond counter,
 * then random bits. Lexicographic order of the strings is creation order within a process.
 */
export function newEventId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start the counter low in a random spot so ids from one ms in two processes still differ
    // early, while leaving room (≥ 2048 steps) to count up.
    counter = randomBytes(2).readUInt16BE(0) & 0x7ff;
  } else {
    counter++;
    if (counter > 0xfff) {
      // Counter exhausted (or the clock went back): borrow the next millisecond.
      lastMs++;
      counter = 0;
    }
  }
  const b = randomBytes(16);
  b.writeUIntBE(lastMs, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
