/**
 * Stream nodes XADD closed get their RDB encoding as the broker's idle work
 * (engine/sealed-nodes.ts, Broker.encodeWhileIdle): an idle broker encodes them soon
 * after (which then count their bytes alone), a SAVE then writes the same file as without them, and a broker near its
 * maxmemory leaves them to its next snapshot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { loadSnapshot, snapshotBytes } from '../../engine/persist/snapshot.js';
import type { Stream } from '../../engine/types/stream.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { startBroker, type InProcessBroker } from '../harness/servers.js';
import { unsealedCopy } from '../harness/stream-nodes.js';

const ENTRIES = 1000;

let server: InProcessBroker | null = null;
let c: RawClient | null = null;
afterEach(async () => {
  c?.close();
  await server?.stop();
  server = c = null;
});

/**
 * Starts a broker and adds ENTRIES entries (10 nodes) to the stream `s`; with
 * `nearMaxmemory`, maxmemory is first set a tenth above the memory in use.
 */
async function brokerWithStream(nearMaxmemory = false): Promise<{ server: InProcessBroker; stream: Stream }> {
  server = await startBroker(['--hz', '100']);
  c = await RawClient.connect(server.port);
  if (nearMaxmemory) {
    const used = server.broker.memory.figures().used;
    expect((await c.call('CONFIG', 'SET', 'maxmemory', String(Math.round(used * 1.1)))).raw.toString()).toBe('+OK\r\n');
  }
  c.write(Buffer.concat(Array.from({ length: ENTRIES }, (_, i) => encodeCommand(['XADD', 's', '*', 'field', `value-${i}`]))));
  await c.readMany(ENTRIES);
  return { server, stream: server.broker.engine.dbs[0].peek('s')!.value as Stream };
}

/** Which of the stream's nodes keep an encoding. */
const encoded = (stream: Stream): boolean[] => stream.view().nodes.map((node) => node.rdbEncoded !== null);

describe('idle encoding of stream nodes', () => {
  it('encodes every node but the tail soon after the writes stop, and a save writes the same bytes', async () => {
    const { server, stream } = await brokerWithStream();
    const engine = server.broker.engine;
    const usedBefore = engine.dbs[0].usedBytes;
    for (let i = 0; i < 200 && engine.sealedNodes.pending > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(engine.sealedNodes.pending).toBe(0);
    expect(encoded(stream)).toEqual([...Array<boolean>(9).fill(true), false]);
    // A sealed node counts its RDB bytes alone, fewer than its decoded form's.
    expect(engine.dbs[0].usedBytes).toBeLessThan(usedBefore);
    const bytes = snapshotBytes(engine.dbs, 0);
    const fresh = new Engine({ databases: 16 });
    fresh.dbs[0].set('s', unsealedCopy(stream));
    expect(snapshotBytes(fresh.dbs, 0).equals(bytes)).toBe(true);
    const loaded = new Engine({ databases: 16 });
    loadSnapshot(loaded.dbs, bytes, { now: 0 });
    expect((loaded.dbs[0].peek('s')!.value as Stream).length).toBe(ENTRIES);
  });

  it('leaves the nodes to the next snapshot near maxmemory', async () => {
    const { server, stream } = await brokerWithStream(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.broker.engine.sealedNodes.pending).toBe(9);
    expect(encoded(stream).every((kept) => !kept)).toBe(true);
  });
});
