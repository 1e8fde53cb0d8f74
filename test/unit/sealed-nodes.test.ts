/**
 * The queue of stream nodes XADD closed (engine/sealed-nodes.ts): it must not keep a
 * node, or its stream, alive once the stream no longer holds it (the key deleted,
 * overwritten or flushed, the node trimmed or emptied by XDEL), even while the server
 * never has idle time to drain the queue; and such nodes are never encoded.
 *
 * The decoded forms of sealed nodes (engine/types/decoded-nodes.ts): under a budget of
 * a few nodes, reads still give every entry, a node read again and again stays decoded,
 * a change takes a node out, and the byte counts stay equal to a recount.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { DECODED_NODES_BUDGET, decodedNodes } from '../../engine/types/decoded-nodes.js';
import type { Stream } from '../../engine/types/stream.js';
import type { StreamNode } from '../../engine/types/stream-node.js';
import { entryBytes } from '../../engine/memory.js';
import { engineRunner } from '../harness/engine-runner.js';
import { unsealedCopy } from '../harness/stream-nodes.js';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Collects garbage after the current job (a WeakRef deref'd in it keeps its target until
 * then) and after a write to another key: the engine's slots of keys to measure again
 * (Engine.noteTouched) hold the last command's entries until the next one reuses them.
 */
async function collected<T extends object>(run: (...argv: string[]) => string, ref: WeakRef<T>): Promise<boolean> {
  run('XADD', 'other', '1-1', 'f', 'v');
  await new Promise((r) => setImmediate(r));
  collect();
  collect();
  return ref.deref() === undefined;
}

/**
 * An engine with the stream `s` of 450 entries (4 full nodes queued, 100 entries each)
 * and weak references to the stream and its first node, made in a function of their
 * own so that no local keeps them alive.
 */
function queuedStream(): { engine: Engine; run: (...argv: string[]) => string; stream: WeakRef<Stream>; first: WeakRef<StreamNode> } {
  const engine = new Engine({ databases: 2 });
  const run = engineRunner(engine);
  for (let i = 1; i <= 450; i++) run('XADD', 's', `${i}-1`, 'field', `value-${i}`);
  expect(engine.sealedNodes.pending).toBe(4);
  const s = engine.dbs[0].peek('s')!.value as Stream;
  return { engine, run, stream: new WeakRef(s), first: new WeakRef(s.view().nodes[0]) };
}

describe('sealed stream nodes queued for idle encoding', () => {
  it.each([
    ['DEL', ['DEL', 's']],
    ['an overwrite', ['SET', 's', 'x']],
    ['FLUSHDB', ['FLUSHDB']],
    ['FLUSHALL', ['FLUSHALL']],
  ])('do not keep a stream alive after %s', async (_, command) => {
    const { engine, run, stream } = queuedStream();
    run(...command);
    expect(await collected(run, stream)).toBe(true);
    expect(engine.encodeSealedNodes(Infinity)).toBe(true);
  });

  it.each([
    ['XTRIM MAXLEN', ['XTRIM', 's', 'MAXLEN', '300']],
    ['XTRIM MINID ~', ['XTRIM', 's', 'MINID', '~', '250']],
    ['XDEL of all its entries', ['XDEL', 's', ...Array.from({ length: 100 }, (_, i) => `${i + 1}-1`)]],
  ])('do not keep a node alive once %s removed it, nor encode it', async (_, command) => {
    const { engine, run, stream, first } = queuedStream();
    run(...command);
    expect(await collected(run, first)).toBe(true);
    expect(engine.encodeSealedNodes(Infinity)).toBe(true);
    // The nodes the stream still has are encoded, but the tail.
    const nodes = stream.deref()!.view().nodes;
    expect(nodes.map((node) => node.rdbEncoded !== null)).toEqual([...Array<boolean>(nodes.length - 1).fill(true), false]);
  });
});

describe('decoded forms of sealed stream nodes', () => {
  afterEach(() => {
    decodedNodes.budget = DECODED_NODES_BUDGET;
  });

  /** An engine with `s`, 2,000 entries in 20 nodes, every full node sealed; the cache allows about `nodes` decoded nodes. */
  function sealedStream(nodes: number): { engine: Engine; run: (...argv: string[]) => string; s: Stream; expected: Engine } {
    const engine = new Engine({ databases: 1 });
    const run = engineRunner(engine);
    for (let i = 1; i <= 2000; i++) run('XADD', 's', `${i}-1`, 'field', `value-${i}`, ...(i % 7 === 0 ? ['other', String(i)] : []));
    const s = engine.dbs[0].peek('s')!.value as Stream;
    // The same entries, never sealed: what every read must give.
    const expected = new Engine({ databases: 1 });
    expected.dbs[0].set('s', unsealedCopy(s));
    expect(engine.encodeSealedNodes(Infinity)).toBe(true);
    // Other tests' nodes out: the counts checked are this stream's alone.
    decodedNodes.clear();
    decodedNodes.budget = nodes * s.view().nodes[0].parts().meta.byteLength * 2;
    return { engine, run, s, expected };
  }

  /** The cache's count is its nodes' decoded bytes, and no key's figure is stale. */
  function checkCounts(engine: Engine, s: Stream): void {
    const cached = s.view().nodes.filter((node) => node.cacheSlot >= 0);
    expect(decodedNodes.bytes).toBe(cached.reduce((n, node) => n + node.decodedBytes, 0));
    expect(decodedNodes.bytes).toBeLessThanOrEqual(decodedNodes.budget + s.view().nodes[0].decodedBytes);
    expect(engine.dbs[0].usedBytes).toBe([...engine.dbs[0].entries()].reduce((n, e) => n + entryBytes(e), 0));
  }

  it('give every entry under a budget of three nodes, whatever order the reads take', () => {
    const { engine, run, s, expected } = sealedStream(3);
    const reference = engineRunner(expected);
    checkCounts(engine, s);
    // Under 2,000 entries a reply: a longer one is streamed, in pieces that need not fall alike.
    const reads = [
      ['XRANGE', 's', '-', '+', 'COUNT', '1990'],
      ['XREVRANGE', 's', '+', '-', 'COUNT', '950'],
      ['XRANGE', 's', '1500', '1720'],
      ['XREAD', 'COUNT', '300', 'STREAMS', 's', '333-1'],
      ['XRANGE', 's', '-', '+', 'COUNT', '100'],
      ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '0'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const argv of reads) expect(run(...argv), argv.join(' ')).toBe(reference(...argv));
      checkCounts(engine, s);
    }
  });

  it('decode the nodes reads keep coming back to once, while they fit', () => {
    const { run, s } = sealedStream(6);
    const reads = (): void => {
      for (let i = 0; i < 30; i++) {
        run('XRANGE', 's', '-', '+', 'COUNT', '100');
        run('XRANGE', 's', `${101 + (i % 3) * 100}`, '+', 'COUNT', '100');
      }
    };
    reads();
    const decodes = decodedNodes.decodes;
    reads();
    expect(decodedNodes.decodes).toBe(decodes);
    expect(s.view().nodes.slice(0, 4).every((node) => node.cacheSlot >= 0)).toBe(true);
  });

  it('decode every kind of listpack element as a never-sealed copy reads it', () => {
    const engine = new Engine({ databases: 1 });
    const run = engineRunner(engine);
    // Strings of 6- and 12-bit lengths and one past 4,095 bytes, integers of every width,
    // IDs far from their node's master (past 32 bits of milliseconds and of sequence).
    const values = ['v', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(5000), '0', '-1', '4095', '-4096', '32767', '8388607', '2147483647', '-2147483648', '9007199254740993', '-9223372036854775808', '01', '1.5'];
    let ms = 1;
    for (let i = 0; i < 600; i++) {
      ms += i % 97 === 0 ? 2 ** 33 : i % 5;
      const seq = i % 89 === 0 ? 2 ** 40 + i : i;
      const v = values[i % values.length];
      run('XADD', 's', `${ms}-${seq}`, 'field', v, ...(i % 3 === 0 ? ['other', values[(i + 5) % values.length]] : []));
    }
    const s = engine.dbs[0].peek('s')!.value as Stream;
    const expected = new Engine({ databases: 1 });
    expected.dbs[0].set('s', unsealedCopy(s));
    const reference = engineRunner(expected);
    expect(engine.encodeSealedNodes(Infinity)).toBe(true);
    decodedNodes.clear();
    expect(s.view().nodes.slice(0, -1).every((node) => node.rdbEncoded !== null && node.cacheSlot === -1)).toBe(true);
    expect(run('XRANGE', 's', '-', '+')).toBe(reference('XRANGE', 's', '-', '+'));
    expect(run('XREVRANGE', 's', '+', '-', 'COUNT', '77')).toBe(reference('XREVRANGE', 's', '+', '-', 'COUNT', '77'));
  });

  it('take a node out once it changes, its decoded form counted in its stream again', () => {
    const { engine, run, s, expected } = sealedStream(3);
    const reference = engineRunner(expected);
    for (const argv of [
      ['XDEL', 's', '150-1', '1999-1'],
      ['XTRIM', 's', 'MAXLEN', '1890'],
      ['XTRIM', 's', 'MINID', '~', '400'],
      ['XSETID', 's', '5000-0'],
      ['XADD', 's', '5001-1', 'field', 'late'],
    ]) {
      expect(run(...argv), argv.join(' ')).toBe(reference(...argv));
      checkCounts(engine, s);
    }
    const changed = s.view().nodes.filter((node) => node.rdbEncoded === null);
    expect(changed.every((node) => node.cacheSlot === -1)).toBe(true);
    expect(run('XRANGE', 's', '-', '+', 'COUNT', '1990')).toBe(reference('XRANGE', 's', '-', '+', 'COUNT', '1990'));
    checkCounts(engine, s);
  });
});
