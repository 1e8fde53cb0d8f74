/**
 * Full resyncs: `redis-cli --rdb` (REPLCONF capa eof, REPLCONF rdb-only, SYNC) takes a
 * backup of a broker under write load, a file redis-check-rdb accepts and redis-server
 * loads, holding the dataset of one instant; `PSYNC ? -1` answers +FULLRESYNC and a
 * length-framed RDB (test/replication/ follows the stream after it); REPLCONF's and
 * PSYNC's errors are redis-server's.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDiffServers } from '../harness/diff.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { testResources } from '../harness/resources.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis, type RunningServer } from '../harness/servers.js';
import { tempDir } from '../harness/temp.js';
import { randomCommands, runLoose } from './rdb-workload.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const { servers, clients } = testResources();

async function connect(server: RunningServer): Promise<RawClient> {
  servers.push(server);
  const c = await RawClient.connect(server.port);
  clients.push(c);
  return c;
}

/** `redis-cli --rdb file`: resolves with its exit code and output. */
function redisCliRdb(port: number, file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('redis-cli', ['-p', String(port), '--rdb', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(!hasRedisServer())('SYNC and PSYNC', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it('redis-cli --rdb backs up a broker under write load; redis-server loads the file', async () => {
    const ours = await connect(await startBroker(DEBUG));
    await runLoose(ours, randomCommands(5, 3000));
    // A long stream, so the snapshot spans many slices while the writer runs.
    for (let i = 0; i < 40; i++) {
      await runLoose(ours, Array.from({ length: 1000 }, (_, j) => ['XADD', 'big', '*', 'n', String(i * 1000 + j), 'payload', 'x'.repeat(50)]));
    }
    const fixed = (await ours.call('DEBUG', 'DIGEST-VALUE', 'big', 'str:0', 'list:0', 'stream:0')).raw;

    // The writer adds entries 1-0, 2-0, ... to 'load' until the backup is done.
    const writer = await RawClient.connect((servers[0] as RunningServer).port);
    clients.push(writer);
    let n = 0;
    let writing = true;
    const writes = (async () => {
      while (writing) {
        const batch = Array.from({ length: 50 }, () => ['XADD', 'load', `${++n}-0`, 'f', 'v']);
        writer.write(Buffer.concat(batch.map((argv) => encodeCommand(argv))));
        await writer.readMany(batch.length);
      }
    })();
    const dir = tempDir('sync-');
    const file = path.join(dir, 'dump.rdb');
    const cli = await redisCliRdb(servers[0].port, file);
    writing = false;
    await writes;
    expect(cli.output).toContain('Transfer finished with success');
    expect(cli.code).toBe(0);
    expect(n).toBeGreaterThan(0);

    const check = spawnSync('redis-check-rdb', [file], { encoding: 'latin1' });
    expect(check.stdout).toContain('RDB looks OK!');
    const ref = await connect(await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb', ...DEBUG]));
    // redis-server listens before it loads (-LOADING meanwhile; DEBUG is served even then).
    await expect.poll(async () => (await ref.call('INFO', 'persistence')).raw.toString('latin1')).toContain('loading:0');
    expect((await ref.call('DEBUG', 'DIGEST-VALUE', 'big', 'str:0', 'list:0', 'stream:0')).raw).toEqual(fixed);
    // One instant: the entries written before it, all of them, in order.
    const length = (await ref.call('XLEN', 'load')).value as number;
    if (length > 0) expect((await ref.call('XINFO', 'STREAM', 'load')).raw.toString('latin1')).toContain(`last-generated-id\r\n$${String(length).length + 2}\r\n${length}-0`);
    expect(length).toBeLessThanOrEqual(n);
    // The broker served the backup and goes on.
    expect((await ours.call('XLEN', 'load')).value).toBe(n);
  });

  it('PSYNC ? -1 answers +FULLRESYNC and a length-framed RDB; the link stays open for the stream', async () => {
    const ours = await connect(await startBroker(['--repl-diskless-sync-delay', '0']));
    await ours.call('SET', 'k', 'v');
    await ours.call('RPUSH', 'l', 'a', 'b');
    const c = await RawClient.connect(servers[0].port);
    clients.push(c);
    const received: Buffer[] = [];
    c.socket.removeAllListeners('data');
    let arrived: () => void = () => undefined;
    c.socket.on('data', (d: Buffer) => {
      received.push(d);
      arrived();
    });
    c.write('PSYNC ? -1\r\n');
    // Newlines may keep the link alive while the payload is prepared (from a file, as this one is: no `capa eof`).
    const headerPattern = /^\+FULLRESYNC ([0-9a-f]{40}) 0\r\n\n*\$(\d+)\r\n/;
    let all = Buffer.alloc(0);
    let header: RegExpExecArray | null = null;
    while (header === null || all.length < header[0].length + Number(header[2])) {
      await new Promise<void>((resolve) => (arrived = resolve));
      all = Buffer.concat(received);
      header = headerPattern.exec(all.latin1Slice(0, Math.min(100, all.length)));
    }
    const rdb = all.subarray(header[0].length, header[0].length + Number(header[2]));
    expect(rdb.latin1Slice(0, 9)).toBe('REDIS0010');
    expect(rdb.includes(Buffer.from(header[1]))).toBe(true);
    expect(c.socket.destroyed).toBe(false);
    const dir = tempDir('psync-');
    fs.writeFileSync(path.join(dir, 'dump.rdb'), rdb);
    const ref = await connect(await startRedis(['--dir', dir]));
    expect((await ref.call('LRANGE', 'l', '0', '-1')).value).toEqual(['a', 'b']);
  });
});

describe.skipIf(!hasRedisServer())('REPLCONF, SYNC and PSYNC replies vs redis-server', () => {
  it('errors and options as redis-server answers them', async () => {
    const diff = await startDiffServers();
    const p = await diff.pair();
    try {
      await p.samePipeline([
        ['REPLCONF', 'foo'],
        ['REPLCONF', 'foo', 'bar'],
        ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'],
        ['REPLCONF', 'rdb-only', '2'],
        ['REPLCONF', 'rdb-only', 'x'],
        ['REPLCONF', 'listening-port', '1234', 'ip-address', '1.2.3.4'],
        ['PSYNC', 'a'],
        ['MULTI'],
        ['SYNC'],
        ['PSYNC', '?', '-1'],
        ['EXEC'],
      ]);
    } finally {
      p.close();
      await diff.stop();
    }
  });
});
