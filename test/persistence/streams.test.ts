/**
 * Streams and consumer groups survive restarts exactly: XINFO STREAM FULL (entries,
 * node layout, lag metadata, groups, PELs with delivery times and counts, consumers)
 * and XINFO GROUPS are the same before and after, whether the state comes back from
 * the incremental file (replayed effects), from a rewritten base (a snapshot), from
 * DEBUG RELOAD or from SAVE's file with the AOF off.
 *
 * Replayed effects rebuild everything but a consumer's seen-time, which becomes the
 * replay time (as in redis-server, whose XCLAIM replay touches the consumer too); a
 * snapshot keeps it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { fillMixedDataset, maskSeenTime, run, streamState, STREAMS } from './dataset.js';
import { digest, kill9, sleep, startAof, tempDir, type Spawned } from './proc.js';
import { spawnBroker } from '../harness/servers.js';

async function states(port: number): Promise<unknown[]> {
  const c = await RawClient.connect(port);
  try {
    // One after the other: their replies share the connection.
    const out: unknown[] = [];
    for (const k of STREAMS) out.push(await streamState(c, k));
    return out;
  } finally {
    c.close();
  }
}

async function waitRewriteDone(c: RawClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = (await c.call('INFO', 'persistence')).value as string;
    if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0')) return;
    await sleep(20);
  }
  throw new Error('rewrite did not finish');
}

describe('streams and consumer groups across restarts', () => {
  const servers: Spawned[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await kill9(s);
  });

  it('XINFO STREAM FULL is the same after a kill, from the incr file and from a rewritten base', async () => {
    const dir = tempDir('streams');
    const args = ['--appendfsync', 'always'];
    let server = await startAof(dir, args);
    servers.push(server);
    let c = await RawClient.connect(server.port);
    await fillMixedDataset(c);
    const before = await states(server.port);
    const digestBefore = await digest(server.port);
    c.close();
    await kill9(server);

    server = await startAof(dir, args);
    servers.push(server);
    expect(await digest(server.port)).toBe(digestBefore);
    expect(maskSeenTime(await states(server.port))).toEqual(maskSeenTime(before));

    // A rewrite turns the state into a snapshot: from then on seen-times survive too.
    c = await RawClient.connect(server.port);
    await c.call('BGREWRITEAOF');
    await waitRewriteDone(c);
    const rewritten = await states(server.port);
    c.close();
    await kill9(server);
    server = await startAof(dir, args);
    servers.push(server);
    expect(await digest(server.port)).toBe(digestBefore);
    expect(await states(server.port)).toEqual(rewritten);
  });

  it('DEBUG RELOAD, and SAVE then a start with the AOF off, keep them exactly', async () => {
    const dir = tempDir('streams-save');
    let server = await startAof(dir);
    servers.push(server);
    let c = await RawClient.connect(server.port);
    await fillMixedDataset(c);
    const before = await states(server.port);
    const digestBefore = await digest(server.port);
    expect((await c.call('DEBUG', 'RELOAD')).raw.toString()).toBe('+OK\r\n');
    expect(await states(server.port)).toEqual(before);
    expect(await digest(server.port)).toBe(digestBefore);
    await run(c, [['SAVE']]);
    c.close();
    await kill9(server);
    server = await spawnBroker(['--dir', dir, '--appendonly', 'no', '--enable-debug-command', 'yes']);
    servers.push(server);
    expect(await digest(server.port)).toBe(digestBefore);
    expect(await states(server.port)).toEqual(before);
    c = await RawClient.connect(server.port);
    const info = (await c.call('INFO', 'persistence')).value as string;
    expect(info).toMatch(/\r\nrdb_last_load_keys_loaded:[1-9]\d*\r\n/);
    expect(info).toContain('\r\naof_enabled:0\r\n');
    c.close();
  });
});

