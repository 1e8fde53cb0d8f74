/**
 * The full resync's payload as the link reads it (broker/replication/payload.ts): the
 * same bytes out, and the same rest after the end mark, wherever the reads split the
 * `$EOF:` framing, the mark included.
 */
import { describe, expect, it } from 'vitest';
import { PayloadReceiver } from '../../broker/replication/payload.js';

const MARK = 'x'.repeat(20) + '0123456789abcdefghij';

/** Feeds `input` in reads of the given sizes (the last one takes what is left); the payload received and the rest. */
function receive(input: Buffer, sizes: readonly number[]): { body: Buffer; rest: Buffer } {
  const parts: Buffer[] = [];
  const receiver = new PayloadReceiver({ write: (bytes) => parts.push(Buffer.from(bytes)) });
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const n = i < sizes.length ? sizes[i] : input.length - at;
    const progress = receiver.feed(input.subarray(at, at + n));
    at += n;
    if (progress.state === 'error') throw new Error(progress.error);
    if (progress.state === 'done') return { body: Buffer.concat(parts), rest: Buffer.concat([progress.rest, input.subarray(at)]) };
  }
  throw new Error('the payload did not end');
}

describe('PayloadReceiver', () => {
  // Bytes like the mark's inside the body: only the whole mark ends it.
  const body = Buffer.from(`REDIS0011${'x'.repeat(150)}0123456789abcdefghi${'y'.repeat(100)}`, 'latin1');
  const rest = Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1');
  const input = Buffer.concat([Buffer.from(`\n\n$EOF:${MARK}\r\n`, 'latin1'), body, Buffer.from(MARK, 'latin1'), rest]);

  it('gives the body and the rest whatever the size of every read', () => {
    for (let size = 1; size <= input.length; size++) {
      const got = receive(input, Array.from({ length: input.length }, () => size));
      expect(got.body.equals(body), `reads of ${size}`).toBe(true);
      expect(got.rest.equals(rest), `reads of ${size}`).toBe(true);
    }
  });

  it('gives the body and the rest wherever two reads split the input', () => {
    for (let first = 1; first < input.length; first++) {
      for (const second of [1, 7, 39, 40, 41, 200]) {
        const got = receive(input, [first, second]);
        expect(got.body.equals(body), `split at ${first}, then ${second}`).toBe(true);
        expect(got.rest.equals(rest), `split at ${first}, then ${second}`).toBe(true);
      }
    }
  });

  it('counts a $<length> payload', () => {
    const framed = Buffer.concat([Buffer.from(`$${body.length}\r\n`, 'latin1'), body, rest]);
    for (const size of [1, 3, 64, 1000]) {
      const got = receive(framed, Array.from({ length: framed.length }, () => size));
      expect(got.body.equals(body)).toBe(true);
      expect(got.rest.equals(rest)).toBe(true);
    }
  });
});
