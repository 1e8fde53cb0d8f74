/**
 * Damaged RDB bytes never crash: random byte flips and cuts in a file of every type
 * (with the CRC-64 recomputed, so the damage reaches the decoders) load or fail with a
 * FormatError, and the same holds for DUMP payloads given to RESTORE's decoder; loaded a
 * small window at a time (a follower's payload), a damaged file gives the outcome a
 * whole-buffer load gives, to the error's offset.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { FormatError } from '../../engine/persist/bytes.js';
import { dumpPayload, restoreValue } from '../../engine/persist/dump.js';
import { loadSnapshot, snapshotBytes, snapshotSourceLoadSteps, type SnapshotLoad } from '../../engine/persist/snapshot.js';
import { Crc64 } from '../../engine/persist/rdb/crc64.js';
import { List } from '../../engine/types/list.js';
import { Stream } from '../../engine/types/stream.js';
import { StreamId } from '../../engine/types/stream-id.js';
import { ConsumerGroup } from '../../engine/types/stream-group.js';
import { prng } from '../harness/prng.js';
import { DEFAULT_LIMITS } from '../../engine/types/encoding-limits.js';

function sampleEngine(): Engine {
  const engine = new Engine({ databases: 16 });
  const db = engine.dbs[0];
  db.set('int', '12345');
  db.set('long', 'payload-'.repeat(20));
  const list = new List();
  for (let i = 0; i < 300; i++) list.push(i % 3 === 0 ? String(i) : `element-${i}`, false);
  db.set('list', list);
  const stream = new Stream();
  const limits = { streamNodeMaxEntries: 10, streamNodeMaxBytes: 4096 };
  for (let i = 1; i <= 60; i++) stream.append(new StreamId(i, 0), ['', '', 'f', String(i), ...(i % 7 === 0 ? ['g', 'x'] : [])], 2, limits);
  stream.delete([new StreamId(5, 0), new StreamId(33, 0)]);
  const group = new ConsumerGroup(new StreamId(20, 0), 20);
  const consumer = group.createConsumer('alice', 1000);
  for (let i = 1; i <= 20; i++) if (i !== 5) group.deliver(new StreamId(i, 0), consumer, 2000 + i);
  stream.groups = new Map([['g', group]]);
  db.set('stream', stream);
  return engine;
}

/** Recomputes the trailing CRC-64 (the last 8 bytes) of a damaged file or payload. */
function resealed(bytes: Buffer): Buffer {
  if (bytes.length < 8) return bytes;
  new Crc64().update(bytes, 0, bytes.length - 8).bytes().copy(bytes, bytes.length - 8);
  return bytes;
}

function damaged(good: Buffer, rnd: () => number): Buffer {
  const bytes = Buffer.from(good);
  if (rnd() < 0.2) return resealed(Buffer.from(bytes.subarray(0, Math.floor(rnd() * bytes.length))));
  for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) bytes[Math.floor(rnd() * (bytes.length - 8))] = Math.floor(rnd() * 256);
  return resealed(bytes);
}

describe('damaged RDB bytes', () => {
  it('a file loads or fails with a FormatError, 3000 random damages', () => {
    const good = snapshotBytes(sampleEngine().dbs, Date.now());
    const rnd = prng(1234);
    for (let i = 0; i < 3000; i++) {
      const bytes = damaged(good, rnd);
      try {
        loadSnapshot(new Engine({ databases: 16 }).dbs, bytes, { now: 0 });
      } catch (err) {
        if (!(err instanceof FormatError)) throw new Error(`case ${i}: ${String(err)}\n${bytes.toString('hex')}`);
      }
    }
  });

  it('a file loaded a window at a time fails or loads as a whole-buffer load does, 1000 random damages', () => {
    const good = snapshotBytes(sampleEngine().dbs, Date.now());
    const rnd = prng(4321);
    const outcome = (load: () => SnapshotLoad): unknown => {
      try {
        const { keys, expired, end } = load();
        return { keys, expired, end };
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        return { error: err.message, offset: err.offset };
      }
    };
    for (let i = 0; i < 1000; i++) {
      const bytes = damaged(good, rnd);
      const windowed = (): SnapshotLoad => {
        const source = { size: bytes.length, read: (into: Buffer, offset: number, length: number, position: number) => bytes.copy(into, offset, position, position + length) };
        const steps = snapshotSourceLoadSteps(new Engine({ databases: 16 }).dbs, source, { now: 0 }, 64 + (i % 200));
        for (;;) {
          const step = steps.next(Infinity);
          if (step.done) return step.value;
        }
      };
      expect(outcome(windowed), `case ${i}`).toEqual(outcome(() => loadSnapshot(new Engine({ databases: 16 }).dbs, bytes, { now: 0 })));
    }
  });

  it('a DUMP payload restores or fails with a FormatError, 3000 random damages', () => {
    const db = sampleEngine().dbs[0];
    const payloads = ['int', 'long', 'list', 'stream'].map((k) => dumpPayload(db.peek(k)!.value));
    const rnd = prng(99);
    for (let i = 0; i < 3000; i++) {
      const bytes = damaged(payloads[i % payloads.length], rnd);
      const result = restoreValue(bytes, DEFAULT_LIMITS);
      expect(result).toBeDefined();
    }
  });
});
