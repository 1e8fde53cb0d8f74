/**
 * The queue of stream nodes XADD closed (engine/sealed-nodes.ts): it must not keep a
 * node, or its stream, alive once the stream no longer holds it (the key deleted,
 * overwritten or flushed, the node trimmed or emptied by XDEL), even while the server
 * never has idle time to drain the queue; and such nodes are never encoded.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import type { Stream } from '../../engine/types/stream.js';
import type { StreamNode } from '../../engine/types/stream-node.js';
import { engineRunner } from '../harness/engine-runner.js';

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
