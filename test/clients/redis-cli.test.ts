/** redis-cli, unchanged: one-shot commands, stdin, RESP3 output, --scan and --pipe mass insertion. */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../harness/raw.js';
import { componentPresent } from '../harness/servers.js';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

const NO_CLI = 'redis-cli is not installed (apt-get install redis-tools): redis-cli suite skipped';
const HAS_CLI = componentPresent(spawnSync('redis-cli', ['--version']).status === 0, NO_CLI);
if (!HAS_CLI) console.warn(NO_CLI);

interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs redis-cli against `port` (never spawnSync: the broker may run in this process). */
function cli(port: number, args: string[], input?: string | Buffer): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d) => (stderr += d.toString('latin1')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    // redis-cli may exit before reading all of stdin (it is done, or it failed): the
    // write then fails with EPIPE, and what redis-cli printed and its exit code tell
    // the test what happened. Any other error on the pipe fails the call.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(input ?? '');
  });
}

describe.skipIf(!HAS_CLI).each(TARGETS)('redis-cli against $name', ({ start }) => {
  const server = suiteServer(() => start());

  it('runs one-shot commands with raw output', async () => {
    expect((await cli(server.port, ['PING'])).stdout).toBe('PONG\n');
    expect((await cli(server.port, ['SET', 'cli:a', 'hello world'])).stdout).toBe('OK\n');
    expect((await cli(server.port, ['GET', 'cli:a'])).stdout).toBe('hello world\n');
    expect((await cli(server.port, ['INCR', 'cli:n'])).stdout).toBe('1\n');
    expect((await cli(server.port, ['-r', '3', 'INCR', 'cli:n'])).stdout).toBe('2\n3\n4\n');
  });

  it('formats replies with --no-raw as in an interactive session', async () => {
    expect((await cli(server.port, ['--no-raw', 'GET', 'cli:a'])).stdout).toBe('"hello world"\n');
    expect((await cli(server.port, ['--no-raw', 'GET', 'cli:none'])).stdout).toBe('(nil)\n');
    expect((await cli(server.port, ['--no-raw', 'EXISTS', 'cli:a', 'cli:none'])).stdout).toBe('(integer) 1\n');
    expect((await cli(server.port, ['--no-raw', 'MGET', 'cli:a', 'cli:none'])).stdout).toBe('1) "hello world"\n2) (nil)\n');
    const err = await cli(server.port, ['--no-raw', 'INCR', 'cli:a']);
    expect(err.stdout).toBe('(error) ERR value is not an integer or out of range\n');
    expect((await cli(server.port, ['INCR', 'cli:a'])).stdout).toBe('ERR value is not an integer or out of range\n\n');
  });

  it('reads commands from stdin and values with -x', async () => {
    expect((await cli(server.port, [], 'SET cli:b "two words"\nGET cli:b\nDEL cli:b\n')).stdout).toBe('OK\ntwo words\n1\n');
    const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x41]);
    expect((await cli(server.port, ['-x', 'SET', 'cli:bin'], binary)).stdout).toBe('OK\n');
    expect((await cli(server.port, ['STRLEN', 'cli:bin'])).stdout).toBe('5\n');
  });

  it('speaks RESP3 with -3', async () => {
    const r = await cli(server.port, ['-3', '--no-raw', 'CONFIG', 'GET', 'maxclients']);
    expect(r.stdout).toBe('1# "maxclients" => "10000"\n');
    expect((await cli(server.port, ['-3', '--no-raw', 'GET', 'cli:none'])).stdout).toBe('(nil)\n');
  });

  it('selects databases with -n and lists keys with --scan', async () => {
    await cli(server.port, ['-n', '4'], 'SET user:1 a\nSET user:2 b\nSET other c\n');
    const scan = await cli(server.port, ['-n', '4', '--scan', '--pattern', 'user:*']);
    expect(scan.stdout.trim().split('\n').sort()).toEqual(['user:1', 'user:2']);
    expect((await cli(server.port, ['-n', '4', 'DBSIZE'])).stdout).toBe('3\n');
    expect((await cli(server.port, ['EXISTS', 'user:1'])).stdout).toBe('0\n');
  });

  it('reports server information', async () => {
    const info = await cli(server.port, ['INFO', 'server']);
    expect(info.stdout).toMatch(/^# Server\r\n/);
    expect(info.stdout).toMatch(/\r\nredis_version:7\.\d+\.\d+\r\n/);
    expect(info.stdout).toMatch(new RegExp(`\\r\\ntcp_port:${server.port}\\r\\n`));
  });

  it('mass-inserts 100,000 SET commands with --pipe', async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) parts.push(encodeCommand(['SET', `mass:${i}`, `value:${i}`]));
    const r = await cli(server.port, ['-n', '9', '--pipe'], Buffer.concat(parts));
    expect(r.stdout).toContain('All data transferred. Waiting for the last reply...');
    expect(r.stdout).toContain('errors: 0, replies: 100000');
    expect(r.code).toBe(0);
    expect((await cli(server.port, ['-n', '9', 'DBSIZE'])).stdout).toBe('100000\n');
    expect((await cli(server.port, ['-n', '9', 'GET', 'mass:99999'])).stdout).toBe('value:99999\n');
  });

  it('counts errors in --pipe output', async () => {
    const input = Buffer.concat([encodeCommand(['SET', 'pipe:x', 'abc']), encodeCommand(['INCR', 'pipe:x']), encodeCommand(['NOSUCHCMD'])]);
    const r = await cli(server.port, ['--pipe'], input);
    expect(r.stdout).toContain('errors: 2, replies: 3');
  });
});
