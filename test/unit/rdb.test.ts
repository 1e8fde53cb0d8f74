/**
 * The RDB primitives (engine/persist/rdb/): CRC-64 against redis-server's check value,
 * LZF round trips and refusals, listpack integer and string encodings at every size
 * boundary, RDB lengths and integer-encoded strings; stream nodes a load leaves
 * undecoded, and a damaged one refused at load all the same; the encodings nodes keep
 * once they stop being a stream's tail; pending entries' extreme counts and times.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter, FormatError } from '../../engine/persist/bytes.js';
import { Crc64 } from '../../engine/persist/rdb/crc64.js';
import { RdbInput, writeLen, writeString } from '../../engine/persist/rdb/encoding.js';
import { ListpackReader, ListpackWriter, listpackStrings } from '../../engine/persist/rdb/listpack.js';
import { lzfCompressInto, lzfDecompress } from '../../engine/persist/rdb/lzf.js';
import { prng } from '../harness/prng.js';
import { Engine } from '../../engine/engine.js';
import { loadSnapshot, snapshotBytes } from '../../engine/persist/snapshot.js';
import { Stream } from '../../engine/types/stream.js';
import { StreamId } from '../../engine/types/stream-id.js';
import type { ConsumerGroup } from '../../engine/types/stream-group.js';
import type { StreamNode } from '../../engine/types/stream-node.js';
import { engineRunner } from '../harness/engine-runner.js';
import { unsealedCopy } from '../harness/stream-nodes.js';

describe('CRC-64 (Jones)', () => {
  it('matches redis-server crc64.c check value', () => {
    expect(new Crc64().update(Buffer.from('123456789')).value()).toBe(0xe9c6d914c4b8d9can);
  });

  it('gives the same value fed in pieces of any size', () => {
    const rnd = prng(7);
    const data = Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rnd() * 256)));
    const whole = new Crc64().update(data).value();
    for (const step of [1, 3, 4, 7, 1000]) {
      const crc = new Crc64();
      for (let i = 0; i < data.length; i += step) crc.update(data, i, Math.min(data.length, i + step));
      expect(crc.value()).toBe(whole);
    }
  });
});

/** `input` compressed in at most `maxOut` bytes, or null when it does not fit. */
function lzfCompress(input: Buffer, maxOut: number): Buffer | null {
  const out = Buffer.alloc(maxOut + 1);
  const n = lzfCompressInto(input, out, 0, maxOut);
  return n === 0 ? null : out.subarray(0, n);
}

describe('LZF', () => {
  it('round-trips compressible and random data, and refuses what does not shrink', () => {
    const rnd = prng(11);
    const texts = [Buffer.from('payload-'.repeat(100)), Buffer.from('a'.repeat(70000)), Buffer.from('abcabcabd'.repeat(3) + 'xyz'.repeat(50))];
    for (const input of texts) {
      const packed = lzfCompress(input, input.length - 4);
      expect(packed).not.toBeNull();
      expect(lzfDecompress(packed!, input.length)?.equals(input)).toBe(true);
    }
    const noise = Buffer.from(Array.from({ length: 300 }, () => Math.floor(rnd() * 256)));
    expect(lzfCompress(noise, noise.length - 4)).toBeNull();
  });

  it('refuses corrupt input instead of reading or writing out of bounds', () => {
    const packed = lzfCompress(Buffer.from('hello hello hello hello hello'), 25)!;
    expect(lzfDecompress(packed, 10)).toBeNull();
    expect(lzfDecompress(packed.subarray(0, packed.length - 2), 29)).toBeNull();
    expect(lzfDecompress(Buffer.from([0xe0, 0xff, 0xff]), 100)).toBeNull();
  });
});

describe('listpack', () => {
  it('stores integers in the smallest encoding and reads them back', () => {
    const values = [0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608, 8388608, 2147483647, -2147483648, 2147483648, 9007199254740991, 9223372036854775807n, -9223372036854775808n];
    const lp = new ListpackWriter();
    for (const v of values) lp.int(v);
    const buf = lp.finish();
    const sizes = [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 9, 9, 9, 9];
    expect(buf.length).toBe(7 + sizes.reduce((a, s) => a + s + 1, 0));
    const r = new ListpackReader(Buffer.from(buf));
    for (const v of values) {
      expect(r.next()).toBe(true);
      expect(r.isInt).toBe(true);
      expect(r.int).toBe(typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v);
    }
    expect(r.next()).toBe(false);
  });

  it('stores strings as lpAppend does: canonical integers as integers, the rest by length', () => {
    const strings = ['', 'a', '12', '012', '-0', '+1', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), '99999999999999999999', '\x00\xff'];
    const lp = new ListpackWriter();
    for (const s of strings) lp.string(s);
    expect(listpackStrings(Buffer.from(lp.finish()))).toEqual(strings);
  });

  it('rejects a listpack whose element runs past its end', () => {
    const lp = new ListpackWriter();
    lp.string('hello');
    const buf = Buffer.from(lp.finish());
    buf[6] = 0x80 | 40;
    expect(() => listpackStrings(buf)).toThrow(FormatError);
  });
});

describe('RDB encodings', () => {
  it('lengths and strings round-trip, integers and long strings encoded as redis-server does', () => {
    const w = new ByteWriter();
    const lengths = [0, 63, 64, 16383, 16384, 4294967295, 4294967296, 2n ** 64n - 1n];
    for (const n of lengths) writeLen(w, n);
    const strings = ['', '0', '-128', '127', '-32768', '32767', '-2147483648', '2147483647', '2147483648', '007', 'x'.repeat(21), 'ab'.repeat(40)];
    for (const s of strings) writeString(w, s);
    const buf = w.take();
    const r = new RdbInput(buf);
    for (const n of lengths) expect(r.len()).toBe(typeof n === 'bigint' && n <= 9007199254740991n ? Number(n) : n);
    const at = r.pos;
    for (const s of strings) expect(r.string()).toBe(s);
    expect(r.pos).toBe(buf.length);
    // '0' is 0xC0 0x00; '2147483648' does not fit 32 bits and is written as text.
    expect(buf.subarray(at, at + 3)).toEqual(Buffer.from([0x00, 0xc0, 0x00]));
    expect(buf.includes(Buffer.from('\x0a2147483648', 'latin1'))).toBe(true);
  });
});

describe('RDB streams', () => {
  /** A stream of three nodes whose values do not compress: each node's listpack is stored as it is. */
  function threeNodes(): { stream: Stream; bytes: Buffer } {
    const engine = new Engine({ databases: 1 });
    const rnd = prng(3);
    const stream = new Stream();
    const limits = { streamNodeMaxBytes: 4096, streamNodeMaxEntries: 4 };
    for (let i = 1; i <= 12; i++) {
      const value = i === 6 ? 'MIDDLE' : Array.from({ length: 30 }, () => String.fromCharCode(33 + Math.floor(rnd() * 90))).join('');
      stream.append(new StreamId(i, 0), ['f', value], 0, limits);
    }
    engine.dbs[0].set('s', stream);
    return { stream, bytes: snapshotBytes(engine.dbs, 0) };
  }

  it('loads the nodes before the last undecoded, which read and change as decoded ones and save the same bytes', () => {
    const { bytes } = threeNodes();
    const engine = new Engine({ databases: 1 });
    loadSnapshot(engine.dbs, bytes, { now: 0 });
    const loaded = engine.dbs[0].peek('s')!.value as Stream;
    const bytesBefore = loaded.payloadBytes;
    // Saved again before any use: the kept encodings, the same file.
    expect(snapshotBytes(engine.dbs, 0).equals(bytes)).toBe(true);
    const pairs: string[] = [];
    const middle = loaded.view().nodes[1];
    middle.readPairs(1, pairs);
    expect(pairs).toEqual(['f', 'MIDDLE']);
    // Decoding changes nothing the memory accounting sees.
    expect(loaded.payloadBytes).toBe(bytesBefore);
    expect(loaded.delete([new StreamId(6, 0)])).toBe(1);
    expect(loaded.length).toBe(11);
    // The changed node is encoded again: the file has the entry flagged deleted.
    const again = new Engine({ databases: 1 });
    loadSnapshot(again.dbs, snapshotBytes(engine.dbs, 0), { now: 0 });
    const reloaded = again.dbs[0].peek('s')!.value as Stream;
    expect(reloaded.length).toBe(11);
    expect(reloaded.view().nodes[1].isDeleted(1)).toBe(true);
  });

  it('refuses at load a damaged listpack of a node it leaves undecoded', () => {
    const { bytes } = threeNodes();
    const damaged = Buffer.from(bytes);
    // The middle node's value: its string header claims more bytes than the listpack holds.
    const at = damaged.indexOf('MIDDLE');
    expect(at).toBeGreaterThan(0);
    damaged[at - 1] = 0xbf;
    // No checksum (8 zero bytes): the listpack check is what must catch it.
    damaged.fill(0, damaged.length - 8);
    expect(() => loadSnapshot(new Engine({ databases: 1 }).dbs, damaged, { now: 0 })).toThrow(FormatError);
  });
});

describe('RDB stream nodes kept encoded', () => {
  it('gives each node that stopped being the tail the RDB string a save would encode', () => {
    const engine = new Engine({ databases: 1 });
    const stream = new Stream();
    const limits = { streamNodeMaxBytes: 4096, streamNodeMaxEntries: 50 };
    const sealed: StreamNode[] = [];
    for (let i = 1; i <= 120; i++) {
      const node = stream.append(new StreamId(1000 + i, i % 3), ['field', `value-${i}`], 0, limits);
      if (node !== null) sealed.push(node);
    }
    engine.dbs[0].set('s', stream);
    const nodes = stream.view().nodes;
    expect(sealed).toEqual([nodes[0], nodes[1]]);
    const unencoded = new Engine({ databases: 1 });
    unencoded.dbs[0].set('s', unsealedCopy(stream));
    const decoded = nodes.map((node) => node.payloadBytes);
    const bytesBefore = stream.payloadBytes;
    expect(sealed.map((node) => stream.encodeSealed(node))).toEqual([true, true]);
    // The tail is not encoded, nor a node encoded already.
    expect(stream.encodeSealed(nodes[2])).toBe(false);
    expect(stream.encodeSealed(nodes[0])).toBe(false);
    // A sealed node counts its RDB bytes alone (its decoded form is decoded-nodes.ts's).
    expect(stream.payloadBytes).toBe(bytesBefore - decoded[0] - decoded[1] + nodes[0].rdbEncoded!.length + nodes[1].rdbEncoded!.length);
    expect(snapshotBytes(engine.dbs, 0).equals(snapshotBytes(unencoded.dbs, 0))).toBe(true);
  });

  it('encodes the nodes XADD closed as idle work, skipping the keys deleted meanwhile, with the memory totals kept', () => {
    const engine = new Engine({ databases: 1 });
    const run = engineRunner(engine);
    for (let i = 0; i < 450; i++) run('XADD', i % 2 === 0 ? 'kept' : 'deleted', '*', 'field', `value-${i}`);
    run('DEL', 'deleted');
    expect(engine.sealedNodes.pending).toBe(4);
    const kept = engine.dbs[0].peek('kept')!.value as Stream;
    const before = engine.dbs[0].peek('kept')!;
    const memoryBefore = engine.dbs[0].usedBytes;
    const [first, second] = kept.view().nodes;
    const decoded = first.payloadBytes + second.payloadBytes;
    expect(engine.encodeSealedNodes(Infinity)).toBe(true);
    expect(engine.sealedNodes.pending).toBe(0);
    expect(kept.view().nodes.map((node) => node.rdbEncoded !== null)).toEqual([true, true, false]);
    expect(engine.dbs[0].usedBytes).toBe(memoryBefore - decoded + first.rdbEncoded!.length + second.rdbEncoded!.length);
    expect(before).toBe(engine.dbs[0].peek('kept'));
  });
});

describe('RDB pending entries', () => {
  it('round-trips delivery counts past 32 bits and delivery times past 2^53 or before 1970', () => {
    const engine = new Engine({ databases: 1 });
    const run = engineRunner(engine);
    for (let i = 1; i <= 5; i++) run('XADD', 's', `${i}-1`, 'f', 'v');
    run('XGROUP', 'CREATE', 's', 'g', '0');
    run('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    run('XCLAIM', 's', 'g', 'c', '0', '1-1', 'RETRYCOUNT', '5000000000');
    run('XCLAIM', 's', 'g', 'c', '0', '2-1', 'RETRYCOUNT', '9223372036854775807');
    const groupOf = (e: Engine): ConsumerGroup => (e.dbs[0].peek('s')!.value as Stream).groups!.get('g')!;
    // XCLAIM TIME clamps to the present: times like these come only from files (redis-server writes any int64).
    groupOf(engine).pel.get(new StreamId(3, 1))!.deliveryTime = -5;
    groupOf(engine).pel.get(new StreamId(4, 1))!.deliveryTime = 2 ** 53 + 2;
    const bytes = snapshotBytes(engine.dbs, 0);
    const again = new Engine({ databases: 1 });
    loadSnapshot(again.dbs, bytes, { now: 0 });
    const pending = (g: ConsumerGroup): unknown[] => [...g.pel.from(StreamId.MIN)].map((n) => [n.id.toString(), n.deliveryTime, n.deliveryCount, n.consumer.name]);
    expect(pending(groupOf(engine)).map((entry) => (entry as unknown[]).slice(1, 3))).toEqual([
      [expect.any(Number), 5000000000],
      [expect.any(Number), 9223372036854775807n],
      [-5, 1],
      [2 ** 53 + 2, 1],
      [expect.any(Number), 1],
    ]);
    expect(pending(groupOf(again))).toEqual(pending(groupOf(engine)));
    expect(snapshotBytes(again.dbs, 0).equals(bytes)).toBe(true);
  });
});
