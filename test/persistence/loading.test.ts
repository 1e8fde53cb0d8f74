/**
 * Loading at start-up while clients are served (real processes): the broker listens,
 * then loads its AOF (or its snapshot file) a slice at a time. Meanwhile commands
 * without the `loading` flag get -LOADING, the others run, INFO persistence shows the
 * progress, and SHUTDOWN or a signal stop the load and exit 0 with the files intact,
 * as redis-server 7.0 does. Afterwards the whole dataset is served.
 *
 * No test depends on timing: `key-load-delay` (as redis-server's: microseconds of
 * sleep per key or command loaded) makes a load last far longer than the test looks at
 * it, and `CONFIG SET key-load-delay 0` then lets it finish.
 */
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DiffPair, show } from '../harness/diff.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { prng } from '../harness/prng.js';
import { kill9, outputWith, sleep, startAof, tempDir, type Spawned } from './proc.js';

const LOADING = '-LOADING Redis is loading the dataset in memory\r\n';
const AOF_DIR = 'appendonlydir';
const BASE = 'appendonly.aof.1.base.aof';
const INCR = 'appendonly.aof.1.incr.aof';
/** Our broker: 20 ms per command, so a load of thousands of commands outlasts any test. */
const SLOW = ['--key-load-delay', '20000'];

/**
 * Commands over strings, lists and streams in four databases, with TTLs and MULTI
 * blocks: what an AOF written by clients holds. Deterministic for a seed.
 */
function aofCommands(n: number, seed: number): string[][] {
  const rnd = prng(seed);
  const pick = (m: number): number => Math.floor(rnd() * m);
  const streamIds = new Map<string, number>();
  const one = (): string[] => {
    const k = pick(2000);
    switch (pick(6)) {
      case 0:
        return ['SET', `s:${k}`, `value-${pick(1e6)}`];
      case 1:
        return ['INCRBY', `n:${k}`, String(pick(100))];
      case 2:
        return ['RPUSH', `l:${k}`, `a${pick(100)}`, `b${pick(100)}`];
      case 3: {
        const key = `x:${k % 200}`;
        const id = (streamIds.get(key) ?? 0) + 1;
        streamIds.set(key, id);
        return ['XADD', key, `${id}-1`, 'f', String(pick(1000))];
      }
      case 4:
        // Far in the future: the same dataset whenever the test runs.
        return ['PEXPIREAT', `s:${k}`, String(4_000_000_000_000 + pick(1000))];
      default:
        return ['APPEND', `s:${k}`, 'z'];
    }
  };
  const out: string[][] = [];
  let db = -1;
  while (out.length < n) {
    const next = pick(4);
    if (next !== db) out.push(['SELECT', String((db = next))]);
    if (pick(50) === 0) out.push(['MULTI'], one(), one(), ['EXEC']);
    else out.push(one());
  }
  return out;
}

const resp = (commands: readonly string[][]): Buffer => Buffer.concat(commands.map((argv) => encodeCommand(argv)));

/** An AOF directory in redis-server 7's layout: a RESP base and one incremental file. */
function writeAof(dir: string, base: Buffer, incr: Buffer): void {
  const aofDir = path.join(dir, AOF_DIR);
  fs.mkdirSync(aofDir, { recursive: true });
  fs.writeFileSync(path.join(aofDir, BASE), base);
  fs.writeFileSync(path.join(aofDir, INCR), incr);
  fs.writeFileSync(path.join(aofDir, 'appendonly.aof.manifest'), `file ${BASE} seq 1 type b\nfile ${INCR} seq 1 type i\n`);
}

/** Every file under `dir` with a hash of its bytes: what must not change. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) out[name] = crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

/** INFO persistence as name -> value, in order. */
function persistenceInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

async function info(c: RawClient): Promise<Map<string, string>> {
  return persistenceInfo((await c.call('INFO', 'persistence')).value as string);
}

/** Until INFO persistence says `loading:0` (a state, not a time: the test's own timeout bounds it). */
async function untilLoaded(c: RawClient): Promise<void> {
  while ((await info(c)).get('loading') !== '0') await sleep(20);
}

async function digest(c: RawClient): Promise<string> {
  return ((await c.call('DEBUG', 'DIGEST')).value as { simple: string }).simple;
}

/** DEBUG DIGEST of the dataset `commands` make when a client sends them. */
async function digestOf(commands: readonly string[][]): Promise<string> {
  const server = await startBroker(['--enable-debug-command', 'yes']);
  const c = await RawClient.connect(server.port);
  try {
    c.write(resp(commands));
    await c.readMany(commands.length);
    return await digest(c);
  } finally {
    c.close();
    await server.stop();
  }
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('loading at start-up while clients are served', () => {
  const servers: Spawned[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await kill9(s);
  });

  async function slowStart(dir: string, args: readonly string[] = []): Promise<{ server: Spawned; c: RawClient }> {
    const server = await startAof(dir, [...SLOW, ...args], { loaded: false });
    servers.push(server);
    return { server, c: await RawClient.connect(server.port) };
  }

  it('the AOF: -LOADING and the progress in INFO meanwhile, then the whole dataset; writes go to the AOF after it', async () => {
    const dir = tempDir('loading-aof');
    const [baseCommands, incrCommands] = [aofCommands(500, 1), aofCommands(5000, 2)];
    const [base, incr] = [resp(baseCommands), resp(incrCommands)];
    writeAof(dir, base, incr);
    const expected = await digestOf([...baseCommands, ...incrCommands]);
    const { c } = await slowStart(dir);

    expect((await c.call('PING')).raw.toString()).toBe(LOADING);
    expect((await c.call('SET', 'k', 'v')).raw.toString()).toBe(LOADING);
    expect((await c.call('ECHO', 'still answered')).value).toBe('still answered');
    const during = await info(c);
    expect(during.get('loading')).toBe('1');
    expect(during.get('aof_enabled')).toBe('0');
    expect(Number(during.get('loading_total_bytes'))).toBe(base.length + incr.length);
    expect(Number(during.get('loading_loaded_bytes'))).toBeLessThan(base.length + incr.length);
    expect(during.get('loading_loaded_perc')).toMatch(/^\d+\.\d\d$/);

    expect((await c.call('CONFIG', 'SET', 'key-load-delay', '0')).raw.toString()).toBe('+OK\r\n');
    await untilLoaded(c);
    expect(await digest(c)).toBe(expected);
    const after = await info(c);
    expect([...after.keys()].filter((name) => name.startsWith('loading_'))).toEqual([]);
    expect(after.get('aof_enabled')).toBe('1');
    expect(Number(after.get('aof_current_size'))).toBe(base.length + incr.length);
    expect(Number(after.get('aof_base_size'))).toBe(base.length);

    expect((await c.call('SET', 'written-after', 'yes')).raw.toString()).toBe('+OK\r\n');
    const incrFile = path.join(dir, AOF_DIR, INCR);
    for (let i = 0; i < 250 && !fs.readFileSync(incrFile, 'latin1').endsWith('written-after\r\n$3\r\nyes\r\n'); i++) await sleep(20);
    expect(fs.readFileSync(incrFile).subarray(0, incr.length).equals(incr)).toBe(true);
    expect(fs.readFileSync(incrFile, 'latin1').endsWith('written-after\r\n$3\r\nyes\r\n')).toBe(true);
    c.close();
  });

  it('the snapshot file (AOF off) the same way', async () => {
    const dir = tempDir('loading-rdb');
    const filler = await startBroker(['--dir', dir, '--enable-debug-command', 'yes']);
    const f = await RawClient.connect(filler.port);
    const commands = aofCommands(3000, 3);
    f.write(resp(commands));
    await f.readMany(commands.length);
    const expected = await digest(f);
    const keys = Number((await f.call('DBSIZE')).value);
    expect((await f.call('SAVE')).raw.toString()).toBe('+OK\r\n');
    f.close();
    await filler.stop();

    const { c } = await slowStart(dir, ['--appendonly', 'no']);
    expect((await c.call('GET', 's:1')).raw.toString()).toBe(LOADING);
    const during = await info(c);
    expect(during.get('loading')).toBe('1');
    expect(Number(during.get('loading_total_bytes'))).toBe(fs.statSync(path.join(dir, 'dump.rdb')).size);
    await c.call('CONFIG', 'SET', 'key-load-delay', '0');
    await untilLoaded(c);
    expect(await digest(c)).toBe(expected);
    expect(Number((await info(c)).get('rdb_last_load_keys_loaded'))).toBeGreaterThanOrEqual(keys);
    c.close();
  });

  it('CONFIG SET appendonly during the load takes effect once the load is done', async () => {
    const dir = tempDir('loading-appendonly');
    writeAof(dir, resp(aofCommands(100, 10)), resp(aofCommands(3000, 11)));
    const { c } = await slowStart(dir);
    expect((await c.call('CONFIG', 'SET', 'appendonly', 'no')).raw.toString()).toBe('+OK\r\n');
    expect((await info(c)).get('loading')).toBe('1');
    await c.call('CONFIG', 'SET', 'key-load-delay', '0');
    await untilLoaded(c);
    const after = await info(c);
    expect(after.get('aof_enabled')).toBe('0');
    expect(after.has('aof_current_size')).toBe(false);
    c.close();
  });

  it('SHUTDOWN during the load: no reply, exit 0, nothing saved (even with save points) nor rewritten', async () => {
    const dir = tempDir('loading-shutdown');
    writeAof(dir, resp(aofCommands(100, 4)), resp(aofCommands(3000, 5)));
    const before = filesOf(dir);
    const { server, c } = await slowStart(dir, ['--save', '1 1']);
    expect((await c.call('PING')).raw.toString()).toBe(LOADING);
    c.write(encodeCommand(['SHUTDOWN', 'SAVE']));
    await c.waitClosed();
    await expect(c.read()).rejects.toThrow('connection closed');
    expect(await exitOf(server.child)).toBe(0);
    expect(filesOf(dir)).toEqual(before);
    expect(await outputWith(server, 'ready to exit')).toContain('User requested shutdown...');
  });
});

/** redis-server with the AOF on in `dir`, as soon as it listens (it may still be loading). */
async function redisOn(dir: string, args: readonly string[]): Promise<RunningServer & { child: ChildProcess }> {
  return startRedis(['--dir', dir, '--appendonly', 'yes', '--enable-debug-command', 'yes', ...args]);
}

/**
 * redis-server serves clients during a load only every 1024 commands: with 20 us per
 * command that is every ~0.1 s, and 150,000 commands last ~15 s, far longer than the
 * few round trips made while it loads.
 */
const REDIS_SLOW = ['--key-load-delay', '20'];
const DIFF_COMMANDS = 150_000;

describe.skipIf(!hasRedisServer())('loading, against redis-server loading the same AOF', () => {
  if (!hasRedisServer()) console.log(NO_REDIS);
  let ours: Spawned;
  let ref: RunningServer & { child: ChildProcess };
  let base: Buffer;
  let incr: Buffer;
  const pairs: DiffPair[] = [];
  const pair = async (): Promise<DiffPair> => {
    const p = await DiffPair.connect(ours.port, ref.port);
    pairs.push(p);
    return p;
  };

  beforeAll(async () => {
    base = resp(aofCommands(1000, 6));
    incr = resp(aofCommands(DIFF_COMMANDS, 7));
    const [oursDir, refDir] = [tempDir('loading-diff-ours'), tempDir('loading-diff-ref')];
    writeAof(oursDir, base, incr);
    writeAof(refDir, base, incr);
    [ours, ref] = await Promise.all([startAof(oursDir, ['--key-load-delay', '20'], { loaded: false }), redisOn(refDir, REDIS_SLOW)]);
  });
  afterAll(async () => {
    for (const p of pairs) p.close();
    await Promise.all([ours && kill9(ours), ref?.stop()]);
  });

  it('the same replies to what clients send during the load', async () => {
    const p = await pair();
    await p.samePipeline([
      ['PING'],
      ['PING', 'hi'],
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['ECHO', 'hi'],
      ['SELECT', '1'],
      ['DBSIZE'],
      ['KEYS', '*'],
      ['FLUSHALL'],
      ['SAVE'],
      ['BGSAVE'],
      ['BGREWRITEAOF'],
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['GET', 'k'],
      ['ECHO', 'queued'],
      ['EXEC'],
      ['MULTI'],
      ['ECHO', 'queued'],
      ['EXEC'],
      ['WATCH', 'k'],
      ['UNWATCH'],
      ['FOOBAR'],
      ['GET'],
      ['PUBLISH', 'ch', 'm'],
      ['CONFIG', 'GET', 'key-load-delay'],
      ['CONFIG', 'SET', 'key-load-delay', 'abc'],
      ['AUTH', 'x'],
      ['AUTH', 'default', 'x'],
      ['CLIENT', 'SETNAME', 'loader'],
      ['CLIENT', 'GETNAME'],
    ]);
    // RESP2 subscribed mode: the context check comes before the loading one.
    const sub = await pair();
    await sub.samePipeline([['SUBSCRIBE', 'ch'], ['PING'], ['GET', 'k'], ['UNSUBSCRIBE']]);
    // RESP3: HELLO works (the client ids differ), pushes and errors as redis-server's.
    const hello = await pair();
    const maskId = (raw: Buffer): string => show(raw).replace(/id\\r\\n:\d+/, 'id\\r\\n:N');
    await hello.samePipeline([['HELLO', '3'], ['PING'], ['SUBSCRIBE', 'ch'], ['PING'], ['UNSUBSCRIBE', 'ch']], maskId);
    const quit = await pair();
    await quit.same('QUIT');
    await Promise.all([quit.ours.waitClosed(), quit.ref.waitClosed()]);
    for (const c of [p.ours, p.ref]) expect((await c.call('PING')).raw.toString()).toBe(LOADING);
  });

  it('INFO persistence: the same fields, with the loading ones as redis-server has them', async () => {
    const p = await pair();
    const [o, r] = [await info(p.ours), await info(p.ref)];
    expect([...o.keys()]).toEqual([...r.keys()]);
    for (const name of ['loading', 'async_loading', 'aof_enabled', 'aof_current_size', 'aof_base_size', 'loading_total_bytes', 'loading_rdb_used_mem']) {
      expect(o.get(name), name).toBe(r.get(name));
    }
    expect(o.get('loading')).toBe('1');
    expect(Number(o.get('loading_total_bytes'))).toBe(base.length + incr.length);
    expect(Math.abs(Number(o.get('loading_start_time')) - Number(r.get('loading_start_time')))).toBeLessThanOrEqual(5);
    for (const info of [o, r]) {
      expect(info.get('loading_loaded_perc')).toMatch(/^\d+\.\d\d$/);
      expect(info.get('loading_eta_seconds')).toMatch(/^\d+$/);
    }
  });

  it('after the load: the same dataset, sizes and unsaved changes', async () => {
    const p = await pair();
    await p.same('CONFIG', 'SET', 'key-load-delay', '0');
    await Promise.all([untilLoaded(p.ours), untilLoaded(p.ref)]);
    await p.same('DEBUG', 'DIGEST');
    await p.same('DBSIZE');
    const [o, r] = [await info(p.ours), await info(p.ref)];
    expect([...o.keys()]).toEqual([...r.keys()]);
    for (const name of ['loading', 'aof_enabled', 'aof_current_size', 'aof_base_size', 'rdb_changes_since_last_save']) {
      expect(o.get(name), name).toBe(r.get(name));
    }
  });
});

describe.skipIf(!hasRedisServer())('signals during the load, against redis-server', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of cleanup.splice(0)) await stop();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: both exit with the same code, the files intact`, async () => {
      const [oursDir, refDir] = [tempDir('loading-sig-ours'), tempDir('loading-sig-ref')];
      const [base, incr] = [resp(aofCommands(100, 8)), resp(aofCommands(DIFF_COMMANDS, 9))];
      writeAof(oursDir, base, incr);
      writeAof(refDir, base, incr);
      const [oursBefore, refBefore] = [filesOf(oursDir), filesOf(refDir)];
      const ours = await startAof(oursDir, SLOW, { loaded: false });
      const ref = await redisOn(refDir, REDIS_SLOW);
      cleanup.push(() => kill9(ours), () => ref.stop());
      const p = await DiffPair.connect(ours.port, ref.port);
      await p.samePipeline([['PING']]);
      expect((await p.ours.call('PING')).raw.toString()).toBe(LOADING);
      p.close();
      ours.child.kill(signal);
      ref.child.kill(signal);
      const [oursCode, refCode] = await Promise.all([exitOf(ours.child), exitOf(ref.child)]);
      expect(oursCode).toBe(refCode);
      expect(oursCode).toBe(0);
      expect(filesOf(oursDir)).toEqual(oursBefore);
      expect(filesOf(refDir)).toEqual(refBefore);
      expect(ours.output()).toContain('Received shutdown signal during loading, scheduling shutdown.');
    });
  }
});

describe.skipIf(!hasRedisServer())('DEBUG LOADAOF, against redis-server', () => {
  /** The files the manifest of `dir` lists, and their sizes. */
  function listed(dir: string): { base: number; total: number; incr: string } {
    const aofDir = path.join(dir, AOF_DIR);
    const lines = fs.readFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'latin1').trim().split('\n');
    const files = lines.map((l) => ({ name: l.split(' ')[1], type: l.split(' ').at(-1) }));
    const size = (name: string): number => fs.statSync(path.join(aofDir, name)).size;
    const base = files.find((f) => f.type === 'b')!;
    const incrs = files.filter((f) => f.type === 'i');
    return { base: size(base.name), total: files.reduce((sum, f) => sum + size(f.name), 0), incr: path.join(aofDir, incrs.at(-1)!.name) };
  }

  it('loads the files as they are now on disk and takes their sizes; nothing is left unsaved', async () => {
    const [oursDir, refDir] = [tempDir('loadaof-ours'), tempDir('loadaof-ref')];
    const ours = await startAof(oursDir);
    const ref = await redisOn(refDir, []);
    const p = await DiffPair.connect(ours.port, ref.port);
    try {
      await p.samePipeline([['SET', 'a', '1'], ['RPUSH', 'l', 'x', 'y'], ['BGREWRITEAOF']]);
      for (const c of [p.ours, p.ref]) {
        while ((await info(c)).get('aof_rewrite_in_progress') !== '0' || (await info(c)).get('aof_rewrite_scheduled') !== '0') await sleep(20);
      }
      await p.same('SET', 'b', '2');
      // Another writer appends to the incremental file: DEBUG LOADAOF reads it as it is.
      const extra = encodeCommand(['SET', 'appended', 'outside']);
      for (const dir of [oursDir, refDir]) {
        const { incr } = listed(dir);
        while (!fs.readFileSync(incr, 'latin1').endsWith('$1\r\nb\r\n$1\r\n2\r\n')) await sleep(20);
        fs.appendFileSync(incr, extra);
      }
      await p.same('DEBUG', 'LOADAOF');
      await p.same('GET', 'appended');
      await p.same('DEBUG', 'DIGEST');
      const sizes = [];
      for (const [c, dir] of [[p.ours, oursDir], [p.ref, refDir]] as const) {
        const fields = await info(c);
        const files = listed(dir);
        expect(Number(fields.get('aof_current_size'))).toBe(files.total);
        expect(Number(fields.get('aof_base_size'))).toBe(files.base);
        expect(fields.get('rdb_changes_since_last_save')).toBe('0');
        sizes.push(files.total);
      }
      // A write after it counts on top of what was measured, the same number of bytes.
      await p.same('SET', 'c', '3');
      const grown = [Number((await info(p.ours)).get('aof_current_size')) - sizes[0], Number((await info(p.ref)).get('aof_current_size')) - sizes[1]];
      expect(grown[0]).toBe(grown[1]);
    } finally {
      p.close();
      await kill9(ours);
      await ref.stop();
    }
  });
});
