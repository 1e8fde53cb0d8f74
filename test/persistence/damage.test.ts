/**
 * Damaged and missing files, and a full disk (real processes):
 * - a truncated tail (half a command, or a MULTI without EXEC) is cut back at start
 *   with aof-load-truncated yes, and stops start-up with no;
 * - a corrupted middle stops start-up naming the file and offset; `broker check-aof`
 *   reports it and `--fix` cuts the file there; a damaged base cannot be fixed that way;
 * - a file the manifest lists but that is missing, a missing manifest next to AOF
 *   files, and a bad manifest line stop start-up with a clear message;
 * - a full disk (a small tmpfs, when this runs as root) makes writes fail with
 *   -MISCONF while reads work, and the broker recovers by itself once there is room;
 *   nothing acknowledged is lost.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RawClient, type RawReply } from '../harness/raw.js';
import { componentPresent } from '../harness/servers.js';
import { run } from './dataset.js';
import { kill9, outputWith, replyOrHeld, runBroker, sleep, startAof, tempDir, type Spawned } from './proc.js';

const INCR = 'appendonly.aof.1.incr.aof';
const BASE = 'appendonly.aof.1.base.rdb';

/** A dir with an AOF holding k0..k<n-1>, the broker killed; returns the AOF dir. */
async function aofWithKeys(name: string, n: number): Promise<{ dir: string; aofDir: string }> {
  const dir = tempDir(name);
  const server = await startAof(dir, ['--appendfsync', 'always']);
  const c = await RawClient.connect(server.port);
  await run(c, Array.from({ length: n }, (_, i) => ['SET', `k${i}`, `v${i}`]));
  c.close();
  await kill9(server);
  return { dir, aofDir: path.join(dir, 'appendonlydir') };
}

/** Starting the broker on `dir` must fail; returns what it printed. */
function failedStart(dir: string, args: readonly string[] = []): string {
  const r = runBroker(['--port', '0', '--dir', dir, '--appendonly', 'yes', ...args]);
  expect(r.status, r.output).toBe(1);
  return r.output;
}

async function keysPresent(port: number, n: number): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    let present = 0;
    for (let i = 0; i < n; i++) if ((await c.call('GET', `k${i}`)).value === `v${i}`) present++;
    return present;
  } finally {
    c.close();
  }
}

describe('damaged AOF files', () => {
  const servers: Spawned[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await kill9(s);
  });

  it('a truncated tail is cut back (aof-load-truncated yes) or stops start-up (no)', async () => {
    const { dir, aofDir } = await aofWithKeys('truncated', 50);
    const file = path.join(aofDir, INCR);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, '*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$5\r\nhal');
    const out = failedStart(dir, ['--aof-load-truncated', 'no']);
    expect(out).toContain(`Unexpected end of file reading the append only file ${INCR} (last complete command ends at offset ${size})`);
    const server = await startAof(dir);
    servers.push(server);
    expect(await keysPresent(server.port, 50)).toBe(50);
    expect(await outputWith(server, '!!! Truncating')).toContain(`!!! Truncating the AOF ${INCR} at offset ${size} !!!`);
    expect(await outputWith(server, 'loaded anyway')).toContain(`AOF ${INCR} loaded anyway because aof-load-truncated is enabled`);
    const c = await RawClient.connect(server.port);
    expect((await c.call('EXISTS', 'z')).value).toBe(0);
    c.close();
  });

  it('a MULTI block without its EXEC at the end is reverted', async () => {
    const { dir, aofDir } = await aofWithKeys('multi', 10);
    const file = path.join(aofDir, INCR);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n');
    const server = await startAof(dir);
    servers.push(server);
    expect(await outputWith(server, 'Revert incomplete')).toContain(`Revert incomplete MULTI/EXEC transaction in AOF file ${INCR}`);
    expect(fs.statSync(file).size).toBe(size);
    const c = await RawClient.connect(server.port);
    expect((await c.call('EXISTS', 'm')).value).toBe(0);
    expect((await c.call('GET', 'k9')).value).toBe('v9');
    c.close();
  });

  it('a corrupted middle stops start-up at its offset; check-aof reports it and --fix cuts there', async () => {
    const { dir, aofDir } = await aofWithKeys('corrupt', 100);
    const file = path.join(aofDir, INCR);
    const bytes = fs.readFileSync(file);
    // The 41st SET (k40): corrupt its first '$'.
    const at = bytes.indexOf('*3\r\n$3\r\nSET\r\n$3\r\nk40\r\n') + 4;
    bytes[at] = 0x21;
    fs.writeFileSync(file, bytes);
    const out = failedStart(dir);
    expect(out).toContain(`Bad file format reading the append only file ${INCR} at offset ${at} (expected '$' (got '!'))`);
    const check = runBroker(['check-aof', aofDir]);
    expect(check.status).toBe(1);
    expect(check.output).toContain(`ok_up_to=${at - 4}`);
    expect(check.output).toContain(`AOF ${INCR} is not valid. Use the --fix option to try fixing it.`);
    const fixed = runBroker(['check-aof', '--fix', aofDir]);
    expect(fixed.status, fixed.output).toBe(0);
    expect(fixed.output).toContain(`Successfully truncated AOF ${INCR}`);
    expect(runBroker(['check-aof', aofDir]).output).toContain('All AOF files and manifest are valid');
    const server = await startAof(dir);
    servers.push(server);
    expect(await keysPresent(server.port, 40)).toBe(40);
  });

  it('a damaged base names the file and offset and is not "fixed" by cutting', async () => {
    const { dir, aofDir } = await aofWithKeys('base', 5);
    // Rewrite so that the keys are in the base.
    const server = await startAof(dir);
    const c = await RawClient.connect(server.port);
    await c.call('BGREWRITEAOF');
    for (let i = 0; i < 100 && !fs.existsSync(path.join(aofDir, 'appendonly.aof.2.base.rdb')); i++) await sleep(20);
    c.close();
    await sleep(100);
    await kill9(server);
    const base = path.join(aofDir, 'appendonly.aof.2.base.rdb');
    const bytes = fs.readFileSync(base);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(base, bytes);
    expect(failedStart(dir)).toMatch(/Error reading the RDB base file appendonly\.aof\.2\.base\.rdb at offset \d+: /);
    const check = runBroker(['check-aof', '--fix', aofDir]);
    expect(check.status).toBe(1);
    expect(check.output).toContain('cannot be repaired by truncation');
  });

  it('missing files and a bad manifest stop start-up with a clear message', async () => {
    const { dir, aofDir } = await aofWithKeys('missing', 3);
    const manifest = path.join(aofDir, 'appendonly.aof.manifest');
    const text = fs.readFileSync(manifest, 'latin1');
    expect(text).toBe(`file ${BASE} seq 1 type b\nfile ${INCR} seq 1 type i\n`);

    fs.renameSync(path.join(aofDir, INCR), path.join(dir, 'moved'));
    expect(failedStart(dir)).toContain(`Unable to obtain the AOF file ${INCR} length. stat: No such file or directory`);
    fs.renameSync(path.join(dir, 'moved'), path.join(aofDir, INCR));

    fs.writeFileSync(manifest, `file ${BASE} seq 1 type b\nfile ${INCR} seq 1 type x\n`);
    const bad = failedStart(dir);
    expect(bad).toContain('*** FATAL AOF MANIFEST FILE ERROR ***');
    expect(bad).toContain(`Reading the manifest file, at line 2`);
    expect(bad).toContain('Unknown AOF file type');

    fs.rmSync(manifest);
    expect(failedStart(dir)).toContain('but no manifest appendonly.aof.manifest: refusing to start with an empty dataset over them');

    // A file the manifest does not list is not loaded, and said so.
    fs.writeFileSync(manifest, `file ${BASE} seq 1 type b\n`);
    const server = await startAof(dir);
    servers.push(server);
    expect(await outputWith(server, 'is not listed')).toContain(`AOF file ${INCR} is not listed in the manifest: it is not loaded`);
  });
});

/** Whether the AOF's last write failed: then, under `always`, the replies waiting for it are held. */
async function writeFailing(observer: RawClient): Promise<boolean> {
  return ((await observer.call('INFO', 'persistence')).value as string).includes('\r\naof_last_write_status:err\r\n');
}

/** A tmpfs of `size` mounted on a new dir, or null when mounting is not possible here. */
function mountTmpfs(size: string): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = tempDir('tmpfs');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return r.status === 0 ? dir : null;
}

const NO_MOUNT = 'full-disk test skipped: mounting a tmpfs needs root (and mount(8))';
const CAN_MOUNT = componentPresent(
  (() => {
    const dir = mountTmpfs('64k');
    if (dir === null) return false;
    spawnSync('umount', [dir]);
    return true;
  })(),
  NO_MOUNT,
);

if (!CAN_MOUNT) console.warn(NO_MOUNT);

describe.skipIf(!CAN_MOUNT)('a full disk', () => {
  const mounts: string[] = [];
  const servers: Spawned[] = [];
  afterAll(async () => {
    for (const s of servers) await kill9(s);
    for (const m of mounts) spawnSync('umount', [m]);
  });

  for (const policy of ['everysec', 'always'] as const) {
    it(`appendfsync ${policy}: writes fail with -MISCONF, reads work, the broker recovers by itself`, async () => {
      const dir = mountTmpfs('256k')!;
      mounts.push(dir);
      let server = await startAof(dir, ['--appendfsync', policy]);
      servers.push(server);
      const c = await RawClient.connect(server.port);
      const other = await RawClient.connect(server.port);
      const big = 'x'.repeat(8 * 1024);
      const acked: number[] = [];
      let error = '';
      let heldAt = -1;
      let heldReply: Promise<RawReply> | null = null;
      for (let i = 0; i < 200 && error === '' && heldAt < 0; i++) {
        c.write(`*3\r\n$3\r\nSET\r\n$${`k${i}`.length}\r\nk${i}\r\n$${big.length}\r\n${big}\r\n`);
        // Under always a write that cannot be persisted is not answered until it is.
        const { reply, held } = await replyOrHeld(c, other, 'set', i + 1, writeFailing);
        if (held) [heldAt, heldReply] = [i, reply];
        else if ((await reply).raw.toString().startsWith('+OK')) acked.push(i);
        else error = (await reply).raw.toString();
      }
      if (policy === 'everysec') {
        expect(error).toBe('-MISCONF Errors writing to the AOF file: No space left on device\r\n');
      } else {
        expect(heldAt).toBeGreaterThan(0);
        expect((await other.call('SET', 'another', 'write')).raw.toString()).toBe('-MISCONF Errors writing to the AOF file: No space left on device\r\n');
      }
      // Reads work; PING is refused as redis-server refuses it; INFO tells.
      expect((await other.call('GET', `k${acked[0]}`)).value).toBe(big);
      expect((await other.call('PING')).raw.toString()).toMatch(/^-MISCONF /);
      expect((await other.call('INFO', 'persistence')).value).toContain('\r\naof_last_write_status:err\r\n');
      // Room again: the broker notices by itself.
      execFileSync('mount', ['-o', 'remount,size=16m', dir]);
      let recovered = false;
      for (let i = 0; i < 100 && !recovered; i++) {
        await sleep(100);
        recovered = (await other.call('SET', 'after', 'recovery')).raw.toString() === '+OK\r\n';
      }
      expect(recovered).toBe(true);
      if (heldReply !== null) {
        expect((await heldReply).raw.toString()).toBe('+OK\r\n');
        acked.push(heldAt);
      }
      expect((await other.call('INFO', 'persistence')).value).toContain('\r\naof_last_write_status:ok\r\n');
      // everysec answers before write(2) returns: let the last writes reach the file before the kill.
      for (let i = 0; i < 100 && !((await other.call('INFO', 'persistence')).value as string).includes('\r\naof_buffer_length:0\r\n'); i++) {
        await sleep(10);
      }
      c.close();
      other.close();
      await kill9(server);
      server = await startAof(dir, ['--appendfsync', policy]);
      servers.push(server);
      const check = await RawClient.connect(server.port);
      for (const i of acked) expect((await check.call('STRLEN', `k${i}`)).value, `k${i}`).toBe(big.length);
      expect((await check.call('GET', 'after')).value).toBe('recovery');
      check.close();
    });
  }

  it('after a rewrite, a short write cut back leaves the new incremental file loadable', async () => {
    // The retried write must land where the cut-back one began, not past a hole of zeros.
    const dir = mountTmpfs('256k')!;
    mounts.push(dir);
    let server = await startAof(dir, ['--appendfsync', 'always']);
    servers.push(server);
    const c = await RawClient.connect(server.port);
    expect((await c.call('BGREWRITEAOF')).raw.toString()).toBe('+Background append only file rewriting started\r\n');
    for (let i = 0; i < 250 && !((await c.call('INFO', 'persistence')).value as string).includes('\r\naof_rewrites:1\r\n'); i++) await sleep(20);
    // Not a multiple of a page: the write that meets the full disk is cut short.
    const big = 'y'.repeat(7 * 1024 + 13);
    const acked: number[] = [];
    let heldAt = -1;
    let heldReply: Promise<RawReply> | null = null;
    const observer = await RawClient.connect(server.port);
    for (let i = 0; i < 200 && heldAt < 0; i++) {
      c.write(`*3\r\n$3\r\nSET\r\n$${`k${i}`.length}\r\nk${i}\r\n$${big.length}\r\n${big}\r\n`);
      const { reply, held } = await replyOrHeld(c, observer, 'set', i + 1, writeFailing);
      if (held) [heldAt, heldReply] = [i, reply];
      else acked.push(i);
    }
    observer.close();
    expect(heldAt).toBeGreaterThan(0);
    execFileSync('mount', ['-o', 'remount,size=16m', dir]);
    expect((await heldReply!).raw.toString()).toBe('+OK\r\n');
    acked.push(heldAt);
    c.close();
    await kill9(server);
    server = await startAof(dir, ['--appendfsync', 'always']);
    servers.push(server);
    const check = await RawClient.connect(server.port);
    for (const i of acked) expect((await check.call('STRLEN', `k${i}`)).value, `k${i}`).toBe(big.length);
    check.close();
  });
});
