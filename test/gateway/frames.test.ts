/**
 * The hand-written frame codec (protocol/gateway-frames.ts) against protobufjs reading
 * protocol/gateway.proto: every frame type, encoded by one and decoded by the other,
 * and JSON round trips; malformed input is a FrameError, never another exception.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJson, decodeProtobuf, encodeJson, encodeProtobuf, frame, frameTypes, FrameError, type Frame } from '../../protocol/gateway-frames.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const root = protobuf.loadSync(path.join(ROOT, 'protocol/gateway.proto'));
const FrameType = root.lookupType('streamsbroker.gateway.v1.Frame');

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One sample of each frame type, with non-zero values in every field. */
function samples(): Frame[] {
  const m = { id: '1-1', fields: [bytes('f'), bytes('v\u00e9')], deliveries: 3, value: bytes('x'), channel: bytes('ch'), pattern: bytes('c*') };
  return [
    frame('auth', { password: 'p\u00e4ss' }),
    frame('consume', { ref: 1, sub: 's', stream: 'st', group: 'g', consumer: 'c', create: true, batch: 10, credit: 4294967295, claimIdleMs: 5 }),
    frame('read', { ref: 2, sub: 's', stream: 'st', from: '$', batch: 1, credit: 2 }),
    frame('pop', { ref: 3, sub: 's', list: 'l', consumer: 'c', processing: 'p', credit: 1 }),
    frame('subscribe', { ref: 4, sub: 's', channels: ['a', 'b'], patterns: ['c*'], credit: 9 }),
    frame('credit', { sub: 's', n: 7 }),
    frame('ack', { ref: 5, sub: 's', ids: ['1-1', '2-2'] }),
    frame('nack', { ref: 6, sub: 's', ids: ['1-1'], delayMs: 100 }),
    frame('produce', { ref: 7, stream: 'st', id: '*', fields: [bytes('a'), bytes('b')], maxlen: '10', minid: '', approximate: true, limit: 5, noMkStream: true }),
    frame('cancel', { ref: 8, sub: 's' }),
    frame('ping', { ref: 9 }),
    frame('ready', { session: '1', version: 1, maxFrameBytes: 1024, heartbeatMs: 15000 }),
    frame('ok', { ref: 10 }),
    frame('messages', { sub: 's', messages: [m, { ...m, id: '', fields: [] }] }),
    frame('produced', { ref: 11, id: '1-2' }),
    frame('error', { ref: 12, code: 'NOGROUP', message: 'no group', sub: 's', ended: true }),
    frame('pong', { ref: 13 }),
  ];
}

/** A frame as protobufjs's plain object (the oneof member by name). */
function asProtobufjs(f: Frame): Record<string, unknown> {
  const { type, ...fields } = f;
  return { [type]: fields };
}

describe('gateway frames', () => {
  it('has a sample of every frame type', () => {
    expect(new Set(samples().map((f) => f.type))).toEqual(new Set(frameTypes().keys()));
  });

  it('every field of the table is in gateway.proto, under the same number', () => {
    for (const [type, fields] of frameTypes()) {
      const member = FrameType.fields[type];
      expect(member, type).toBeDefined();
      const message = root.lookupType(`streamsbroker.gateway.v1.${member.type}`);
      expect(Object.keys(message.fields).sort()).toEqual([...fields].sort());
    }
  });

  for (const f of samples()) {
    it(`${f.type}: protobufjs decodes ours, ours decodes protobufjs's, JSON round-trips`, () => {
      const ours = encodeProtobuf(f);
      const decoded = FrameType.toObject(FrameType.decode(ours), { defaults: true, bytes: Array }) as Record<string, unknown>;
      const theirs = FrameType.encode(FrameType.fromObject(asProtobufjs(f))).finish();
      expect(normalize(decodeProtobuf(theirs))).toEqual(normalize(f));
      expect(normalize(decodeProtobuf(ours))).toEqual(normalize(f));
      expect(Object.keys(decoded)).toContain(f.type);
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      expect(normalize(decodeJson(encodeJson(f)))).toEqual(normalize(f));
    });
  }

  it('decodes absent fields as proto3 zero values', () => {
    expect(decodeJson('{"type":"consume","sub":"a"}')).toMatchObject({ type: 'consume', sub: 'a', ref: 0, create: false, stream: '' });
    expect(decodeProtobuf(encodeProtobuf(frame('ack', {})))).toEqual({ type: 'ack', ref: 0, sub: '', ids: [] });
  });

  it('skips unknown protobuf fields', () => {
    // ping { ref: 1, field 15 (varint) = 7 }, and an unknown Frame member 30 before it.
    const withUnknown = new Uint8Array([0xf2, 0x01, 0x00, 0x5a, 0x04, 0x08, 0x01, 0x78, 0x07]);
    expect(decodeProtobuf(withUnknown)).toEqual({ type: 'ping', ref: 1 });
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '[1]'],
    ['no type', '{"ref":1}'],
    ['an unknown type', '{"type":"explode"}'],
    ['an unknown field', '{"type":"ping","reff":1}'],
    ['a string for a number', '{"type":"ping","ref":"1"}'],
    ['a negative number', '{"type":"ping","ref":-1}'],
    ['a fraction', '{"type":"ping","ref":1.5}'],
    ['a number past uint32', '{"type":"ping","ref":4294967296}'],
    ['a scalar for a list', '{"type":"ack","ids":"1-1"}'],
    ['a number in a list of strings', '{"type":"ack","ids":[1]}'],
  ])('refuses JSON with %s', (_, text) => {
    expect(() => decodeJson(text)).toThrow(FrameError);
  });

  it.each([
    ['empty', []],
    ['a truncated varint', [0x8a]],
    ['a length past the end', [0x5a, 0x05, 0x08]],
    ['a field of the wrong wire type', [0x5a, 0x02, 0x0a, 0x00]],
    ['a uint32 out of range', [0x5a, 0x06, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10]],
    ['an unsupported wire type', [0x5a, 0x01, 0x0f]],
  ])('refuses protobuf that is %s', (_, input) => {
    expect(() => decodeProtobuf(new Uint8Array(input))).toThrow(FrameError);
  });

  it('never throws anything but FrameError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        try {
          decodeProtobuf(input);
        } catch (err) {
          if (!(err instanceof FrameError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes long strings with a minimal length prefix', () => {
    for (const n of [0, 1, 42, 43, 127, 128, 5000, 70000]) {
      const f = frame('auth', { password: 'x'.repeat(n) });
      const theirs = FrameType.encode(FrameType.fromObject(asProtobufjs(f))).finish();
      expect(Buffer.from(encodeProtobuf(f)).equals(Buffer.from(theirs))).toBe(true);
    }
  });
});

/** Bytes as plain arrays, so Buffers and Uint8Arrays compare equal. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}
