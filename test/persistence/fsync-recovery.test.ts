/**
 * Recovery from a failed fsync (real processes; failures injected with DEBUG
 * AOF-FSYNC-FAIL). After a failed fsync the AOF file is not trusted (Linux may have
 * dropped the pages it could not write, and a later fsync can succeed without them):
 * writes get -MISCONF, reads work, INFO says aof_last_write_status:err, and under
 * `always` the replies waiting for that fsync stay held, until a rewrite from memory
 * completes (retried every second, however often it fails itself). Then writes are
 * taken again, the held replies go out, and a restart after SIGKILL has the same
 * dataset (DEBUG DIGEST).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, encodeCommand } from '../harness/raw.js';
import { fillMixedDataset } from './dataset.js';
import { commandsTaken, digest, infoField, kill9, outputWith, startAof, tempDir, untilTaken, watch, type Spawned } from './proc.js';
import { until } from '../harness/wait.js';

/** More failures than any test gets through: every fsync fails until DEBUG AOF-FSYNC-FAIL 0. */
const FOREVER = '1000000';
const MISCONF = '-MISCONF Errors writing to the AOF file: Input/output error\r\n';

async function persistenceInfo(c: RawClient): Promise<string> {
  return (await c.call('INFO', 'persistence')).value as string;
}

const writeStatus = async (c: RawClient): Promise<string> => infoField(await persistenceInfo(c), 'aof_last_write_status');

describe('recovery from a failed AOF fsync', () => {
  const servers: Spawned[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await kill9(s);
  });

  async function start(dir: string, policy: string): Promise<Spawned> {
    const server = await startAof(dir, ['--appendfsync', policy]);
    servers.push(server);
    return server;
  }

  async function connect(server: Spawned): Promise<RawClient> {
    const c = await RawClient.connect(server.port);
    clients.push(c);
    return c;
  }

  /** A broker on a new directory with the AOF under `policy`, holding the mixed dataset; `c` connected. */
  async function startFilled(name: string, policy: string): Promise<{ dir: string; server: Spawned; c: RawClient }> {
    const dir = tempDir(name);
    const server = await start(dir, policy);
    const c = await connect(server);
    await fillMixedDataset(c);
    return { dir, server, c };
  }

  /** SIGKILL, start again on the same files: the same dataset (DEBUG DIGEST). Returns the values of `keys` there. */
  async function afterRestart(server: Spawned, dir: string, policy: string, keys: string[]): Promise<unknown> {
    const expected = await digest(server.port);
    // Replies may leave before their write(2) under everysec: let the writes reach the file first.
    const c = await connect(server);
    await until('the AOF buffer written', async () => infoField(await persistenceInfo(c), 'aof_buffer_length') === '0');
    await kill9(server);
    const next = await start(dir, policy);
    expect(await digest(next.port)).toBe(expected);
    return (await (await connect(next)).call('MGET', ...keys)).value;
  }

  it('appendfsync always: the write whose fsync failed is answered only once a rewrite has replaced the file', async () => {
    const { dir, server, c: admin } = await startFilled('fsync-always', 'always');
    const writer = await connect(server);
    // Every fsync fails from now on, the recovery rewrites' own included.
    expect((await admin.call('DEBUG', 'AOF-FSYNC-FAIL', FOREVER)).raw.toString()).toBe('+OK\r\n');
    writer.write(encodeCommand(['SET', 'held', 'v']));
    const held = writer.read(60_000);
    const reply = watch(held);
    await until('the fsync error reported', async () => (await writeStatus(admin)) === 'err');
    expect(await outputWith(server, 'Fail to fsync')).toContain('Fail to fsync the AOF file: Input/output error');
    // Writes are refused, reads work.
    expect((await admin.call('SET', 'other', 'x')).raw.toString()).toBe(MISCONF);
    expect((await admin.call('PING')).raw.toString()).toBe(MISCONF);
    expect((await admin.call('GET', 'str:plain')).value).toBe('hello');
    // Recovery rewrites fail too, and are tried again.
    await until('two failed rewrites', async () => Number(infoField(await persistenceInfo(admin), 'aof_rewrites_consecutive_failures')) >= 2);
    expect(await writeStatus(admin)).toBe('err');
    expect(reply.arrived).toBe(false);

    await admin.call('DEBUG', 'AOF-FSYNC-FAIL', '0');
    expect((await held).raw.toString()).toBe('+OK\r\n');
    expect(await outputWith(server, 'Redis can write again')).toContain('AOF rewritten after the fsync error, Redis can write again.');
    expect(await writeStatus(admin)).toBe('ok');
    const info = await persistenceInfo(admin);
    expect(infoField(info, 'aof_rewrites_consecutive_failures')).toBe('0');
    expect(infoField(info, 'aof_last_bgrewrite_status')).toBe('ok');
    // Writes after the rewrite wait for their own fsync, as usual.
    expect((await writer.call('SET', 'after', 'recovery')).raw.toString()).toBe('+OK\r\n');
    expect(await afterRestart(server, dir, 'always', ['held', 'after', 'other'])).toEqual(['v', 'recovery', null]);
  });

  it('appendfsync everysec: the once-a-second fsync failing stops writes until a rewrite completes', async () => {
    const { dir, server, c } = await startFilled('fsync-everysec', 'everysec');
    await c.call('DEBUG', 'AOF-FSYNC-FAIL', FOREVER);
    // everysec answers before the fsync; the one that follows fails.
    expect((await c.call('SET', 'k', 'v')).raw.toString()).toBe('+OK\r\n');
    await until('the fsync error reported', async () => (await writeStatus(c)) === 'err');
    expect((await c.call('SET', 'other', 'x')).raw.toString()).toBe(MISCONF);
    expect((await c.call('GET', 'k')).value).toBe('v');
    await until('a failed rewrite', async () => Number(infoField(await persistenceInfo(c), 'aof_rewrites_consecutive_failures')) >= 1);
    expect((await c.call('INCR', 'n')).raw.toString()).toBe(MISCONF);

    await c.call('DEBUG', 'AOF-FSYNC-FAIL', '0');
    await until('writes taken again', async () => (await c.call('SET', 'after', 'recovery')).raw.toString() === '+OK\r\n');
    expect(await writeStatus(c)).toBe('ok');
    expect(await afterRestart(server, dir, 'everysec', ['k', 'after', 'other'])).toEqual(['v', 'recovery', null]);
  });

  it('appendfsync no: the fsync at shutdown failing is recovered by a rewrite before the process exits', async () => {
    const { dir, server, c } = await startFilled('fsync-no', 'no');
    await c.call('SET', 'k', 'v');
    const before = await digest(server.port);
    await c.call('DEBUG', 'AOF-FSYNC-FAIL', '1');
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    c.write(encodeCommand(['SHUTDOWN']));
    expect(await exited).toBe(0);
    const output = server.output();
    expect(output).toContain('Fail to fsync the AOF file: Input/output error');
    expect(output).toContain('AOF rewritten after the fsync error, Redis can write again.');
    const next = await start(dir, 'no');
    expect(await digest(next.port)).toBe(before);
  });

  it('a recovery rewrite that fails itself is retried until one completes', async () => {
    const { dir, server, c } = await startFilled('fsync-retry', 'always');
    // One for the write's fsync, the rest for the rewrites that follow (each needs several).
    await c.call('DEBUG', 'AOF-FSYNC-FAIL', '5');
    expect((await c.call('SET', 'k', 'v')).raw.toString()).toBe('+OK\r\n');
    expect(await outputWith(server, 'Redis can write again')).toMatch(/Background AOF rewrite (terminated with error|failed)/);
    const info = await persistenceInfo(c);
    expect(infoField(info, 'aof_last_write_status')).toBe('ok');
    expect(Number(infoField(info, 'aof_rewrites'))).toBeGreaterThanOrEqual(1);
    expect(await afterRestart(server, dir, 'always', ['k'])).toEqual(['v']);
  });

  it('appendfsync always: of two fsyncs running together, a success does not count when the other fails', async () => {
    // Linux reports a failed writeback to one fsync of the file, not necessarily the one
    // whose pages it lost: neither write is acknowledged until the rewrite.
    const { dir, server, c: admin } = await startFilled('fsync-pair', 'always');
    const first = await connect(server);
    const second = await connect(server);
    await admin.call('DEBUG', 'AOF-FSYNC-HOLD', '1');
    const sets = await commandsTaken(admin, 'set');
    first.write(encodeCommand(['SET', 'first', '1']));
    const firstReply = first.read(60_000);
    await until('the first fsync running', async () => infoField(await persistenceInfo(admin), 'aof_pending_bio_fsync') === '1');
    // The second fsync, started while the first runs, fails.
    await admin.call('DEBUG', 'AOF-FSYNC-FAIL', '1');
    second.write(encodeCommand(['SET', 'second', '2']));
    const secondReply = second.read(60_000);
    // A read waits for the fsyncs of the writes before it...
    const reader = await connect(server);
    const gets = await commandsTaken(admin, 'get');
    const read = reader.call('GET', 'str:plain');
    const replies = [watch(firstReply), watch(secondReply)];
    const readWatch = watch(read);
    await untilTaken(admin, { get: gets + 1, set: sets + 2 });
    expect(readWatch.arrived).toBe(false);
    // Both complete now; the rewrites that follow fail until told otherwise.
    admin.write(Buffer.concat([encodeCommand(['DEBUG', 'AOF-FSYNC-HOLD', '0']), encodeCommand(['DEBUG', 'AOF-FSYNC-FAIL', FOREVER])]));
    expect((await admin.readMany(2)).map((r) => r.raw.toString())).toEqual(['+OK\r\n', '+OK\r\n']);
    // ...but goes out once they have failed: reads keep working.
    expect((await read).value).toBe('hello');
    await until('the fsync error reported', async () => (await writeStatus(admin)) === 'err');
    await until('a failed rewrite', async () => Number(infoField(await persistenceInfo(admin), 'aof_rewrites_consecutive_failures')) >= 1);
    expect(replies.map((r) => r.arrived)).toEqual([false, false]);

    await admin.call('DEBUG', 'AOF-FSYNC-FAIL', '0');
    expect((await firstReply).raw.toString()).toBe('+OK\r\n');
    expect((await secondReply).raw.toString()).toBe('+OK\r\n');
    expect(await afterRestart(server, dir, 'always', ['first', 'second'])).toEqual(['1', '2']);
  });
});
