/**
 * Loading a snapshot a window at a time (`snapshotSourceLoadSteps`, how a follower loads
 * a full resync's payload from its temp file): the dataset is the one a whole-buffer load
 * gives (DEBUG DIGEST, streams with their groups), with records longer than the window
 * and windows cut anywhere; the memory held stays bounded (no window larger than the
 * window size and twice the longest record, whatever the input's length); damaged bytes
 * fail with the offsets a whole-buffer load reports.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import type { Db } from '../../engine/keyspace.js';
import { FormatError } from '../../engine/persist/bytes.js';
import { loadSnapshot, snapshotBytes, snapshotSourceLoadSteps, type SnapshotLoad, type SnapshotSource } from '../../engine/persist/snapshot.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { startBroker } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { fillMixedDataset, streamState, STREAMS } from './dataset.js';

/** A source over `bytes` that records the largest window it was asked to fill. */
function bufferSource(bytes: Buffer): SnapshotSource & { largestWindow: number; reads: number } {
  return {
    size: bytes.length,
    largestWindow: 0,
    reads: 0,
    read(into, offset, length, position) {
      this.largestWindow = Math.max(this.largestWindow, into.length);
      this.reads++;
      // Short reads, as a file may give: at most 3000 bytes at a time.
      const n = Math.max(0, Math.min(length, 3000, bytes.length - position));
      bytes.copy(into, offset, position, position + n);
      return n;
    },
  };
}

function loadWindowed(dbs: readonly Db[], source: SnapshotSource, window: number): SnapshotLoad {
  const steps = snapshotSourceLoadSteps(dbs, source, { now: 0 }, window);
  for (;;) {
    const step = steps.next(7);
    if (step.done) return step.value;
  }
}

function failureOf(load: () => unknown): FormatError {
  try {
    load();
  } catch (err) {
    if (err instanceof FormatError) return err;
    throw err;
  }
  throw new Error('the load did not fail');
}

describe('loading a snapshot a window at a time', () => {
  const server = suiteBroker(['--enable-debug-command', 'yes']);
  const c = suiteClient(server);
  let bytes: Buffer;
  const LONG_VALUE = 300_000;

  beforeAll(async () => {
    await fillMixedDataset(c);
    // Records longer than most windows below: a long string (hex: LZF leaves it long), a
    // long list, a stream of many nodes; and many more keys, of 50 KB each.
    await c.call('SET', 'long', randomBytes(LONG_VALUE / 2).toString('hex'));
    const commands: string[][] = [];
    for (let i = 0; i < 10; i++) commands.push(['RPUSH', 'biglist', ...Array.from({ length: 500 }, (_, j) => `item-${i}-${j}-${'y'.repeat(j % 30)}`)]);
    for (let i = 0; i < 4000; i++) commands.push(['XADD', 'bigstream', '*', 'n', String(i), 'pad', 'z'.repeat(i % 40)]);
    for (let i = 0; i < 3000; i++) commands.push(['SET', `small:${i}`, String(i), 'EX', '100000']);
    for (let i = 0; i < 60; i++) commands.push(['SET', `medium:${i}`, randomBytes(25_000).toString('hex')]);
    for (const argv of commands) c.write(encodeCommand(argv));
    await c.readMany(commands.length);
    bytes = snapshotBytes(server.broker.engine.dbs, Date.now());
  });

  it('gives the dataset a whole-buffer load gives, for windows of any size', async () => {
    expect(bytes.length).toBeGreaterThan(2_500_000);
    for (const window of [16, 1000, 4096, 65_536, 1 << 20]) {
      const other = await startBroker(['--enable-debug-command', 'yes']);
      const oc = await RawClient.connect(other.port);
      try {
        const source = bufferSource(bytes);
        const loaded = loadWindowed(other.broker.engine.dbs, source, window);
        const whole = loadSnapshot(new Engine({ databases: 16 }).dbs, bytes, { now: 0 });
        expect({ keys: loaded.keys, end: loaded.end }, `window ${window}`).toEqual({ keys: whole.keys, end: bytes.length });
        expect((await oc.call('DEBUG', 'DIGEST')).value, `window ${window}`).toEqual((await c.call('DEBUG', 'DIGEST')).value);
        for (const key of [...STREAMS, 'bigstream']) expect(await streamState(oc, key), key).toEqual(await streamState(c, key));
        // The memory held: a window and twice the longest record (the long string) at most.
        expect(source.largestWindow, `window ${window}`).toBeLessThanOrEqual(Math.max(window, 64) + 2 * (LONG_VALUE + 1024));
        if (window <= 65_536) expect(source.largestWindow).toBeLessThan(bytes.length / 4);
      } finally {
        oc.close();
        await other.stop();
      }
    }
  });

  it('reports a cut or damaged input at the offsets of a whole-buffer load', () => {
    const fresh = (): readonly Db[] => new Engine({ databases: 16 }).dbs;
    const damaged = [
      bytes.subarray(0, bytes.length - 6),
      bytes.subarray(0, Math.floor(bytes.length / 2)),
      bytes.subarray(0, 5),
      Buffer.concat([bytes.subarray(0, bytes.length - 12), Buffer.from([bytes[bytes.length - 12] ^ 0x40]), bytes.subarray(bytes.length - 11)]),
    ];
    for (const input of damaged) {
      const whole = failureOf(() => loadSnapshot(fresh(), input, { now: 0 }));
      for (const window of [16, 4096]) {
        const windowed = failureOf(() => loadWindowed(fresh(), bufferSource(input), window));
        expect({ message: windowed.message, offset: windowed.offset }, `${input.length} bytes, window ${window}`).toEqual({
          message: whole.message,
          offset: whole.offset,
        });
      }
    }
  });
});
