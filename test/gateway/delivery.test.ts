/**
 * The delivery path's frames (protocol/gateway-delivery.ts), made from the RESP bytes of
 * a read's reply, are the frames the codec (protocol/gateway-frames.ts) makes of the
 * decoded reply, byte for byte, in both encodings; a reply that is not a plain read of
 * entries is left to the caller (null).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryEncoder, type Encoding } from '../../protocol/gateway-delivery.js';
import { encodeJson, encodeProtobuf, frame, type DeliveredMessage, type MessagesFrame } from '../../protocol/gateway-frames.js';

interface Entry {
  id: string;
  fields: Uint8Array[] | null;
}

const CRLF = Buffer.from('\r\n');
const bulk = (b: Uint8Array | string): Buffer => {
  const bytes = typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b);
  return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF]);
};

/** An XREADGROUP/XREAD reply for one stream, in RESP2. */
function readReply(key: string, entries: Entry[]): Buffer {
  const parts = [Buffer.from(`*1\r\n*2\r\n`), bulk(key), Buffer.from(`*${entries.length}\r\n`)];
  for (const e of entries) {
    parts.push(Buffer.from('*2\r\n'), bulk(e.id));
    if (e.fields === null) parts.push(Buffer.from('*-1\r\n'));
    else parts.push(Buffer.from(`*${e.fields.length}\r\n`), ...e.fields.map(bulk));
  }
  return Buffer.concat(parts);
}

/** What the codec makes of the same entries. */
function expected(sub: string, entries: Entry[], deliveries: number, encoding: Encoding): Buffer {
  const empty = new Uint8Array(0);
  const messages: DeliveredMessage[] = entries.map((e) => ({ id: e.id, fields: e.fields ?? [], deliveries, value: empty, channel: empty, pattern: empty }));
  const f = frame<MessagesFrame>('messages', { sub, messages });
  return encoding === 'json' ? Buffer.from(encodeJson(f), 'utf8') : Buffer.from(encodeProtobuf(f));
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const ENCODINGS: Encoding[] = ['protobuf', 'json'];

describe('DeliveryEncoder', () => {
  for (const encoding of ENCODINGS) {
    describe(encoding, () => {
      it('encodes entries as the codec does, whatever their bytes', () => {
        const entries: Entry[] = [
          { id: '1700000000000-0', fields: [utf8('t'), utf8('123.5'), utf8('payload'), utf8('x'.repeat(100))] },
          { id: '1700000000000-1', fields: [utf8('quote"back\\slash'), utf8('tab\there\nnew'), utf8('caf\u00e9 \u{1f600}'), new Uint8Array([0, 1, 0x7f, 0x80, 0xff])] },
          { id: '1700000000001-0', fields: [new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), new Uint8Array(0), utf8('\u2028'), new Uint8Array([0xc3])] },
          { id: '18446744073709551615-18446744073709551615', fields: [utf8('big'), new Uint8Array(20_000).fill(0x61)] },
        ];
        const raw = readReply('orders', entries);
        for (const deliveries of [0, 1, 300]) {
          for (const sub of ['s1', 'sub "\u00e9"', '']) {
            const delivery = new DeliveryEncoder(sub, encoding).encode(raw, deliveries);
            expect(delivery).not.toBeNull();
            expect(delivery!.count).toBe(entries.length);
            expect(delivery!.lastId).toBe(entries[entries.length - 1].id);
            expect(delivery!.frame!.equals(expected(sub, entries, deliveries, encoding))).toBe(true);
          }
        }
      });

      it('encodes random entries as the codec does', () => {
        const entry = fc.record({
          id: fc.tuple(fc.nat(), fc.nat()).map(([ms, seq]) => `${ms}-${seq}`),
          fields: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 2, maxLength: 8 }),
        });
        fc.assert(
          fc.property(fc.array(entry, { minLength: 1, maxLength: 40 }), fc.string(), fc.nat(1000), (entries, sub, deliveries) => {
            const delivery = new DeliveryEncoder(sub, encoding).encode(readReply('k', entries), deliveries);
            expect(delivery!.frame!.equals(expected(sub, entries, deliveries, encoding))).toBe(true);
          }),
          { numRuns: 200 },
        );
      });

      it('takes batches larger than its scratch space', () => {
        const entries: Entry[] = Array.from({ length: 3000 }, (_, i) => ({ id: `${i}-0`, fields: [utf8('a'), utf8('b'), utf8('c'), utf8(String(i))] }));
        const delivery = new DeliveryEncoder('s', encoding).encode(readReply('k', entries), 1);
        expect(delivery!.count).toBe(3000);
        expect(delivery!.lastId).toBe('2999-0');
        expect(delivery!.frame!.equals(expected('s', entries, 1, encoding))).toBe(true);
      });
    });
  }

  it('finds nothing in a nil reply (a blocked read that ended without entries)', () => {
    const delivery = new DeliveryEncoder('s', 'protobuf').encode(Buffer.from('*-1\r\n'), 1);
    expect(delivery).toEqual({ frame: null, count: 0, lastId: '' });
  });

  it('leaves to the caller what is not a plain read of entries', () => {
    const encoder = new DeliveryEncoder('s', 'protobuf');
    const good = readReply('k', [{ id: '1-1', fields: [utf8('f'), utf8('v')] }]);
    const cases = [
      Buffer.from('-NOGROUP No such key\r\n'),
      readReply('k', [{ id: '1-1', fields: null }]),
      Buffer.concat([Buffer.from('*2\r\n'), good.subarray(4), good.subarray(4)]),
      good.subarray(0, good.length - 3),
      Buffer.concat([good, Buffer.from('+OK\r\n')]),
      Buffer.from(good.latin1Slice().replace('$1\r\nf', '$x\r\nf'), 'latin1'),
      Buffer.from('*1\r\n*2\r\n$1\r\nk\r\n*1\r\n:1\r\n'),
    ];
    for (const raw of cases) expect(encoder.encode(raw, 1)).toBeNull();
  });
});
