/**
 * A drop-in for redis-server: Debian's stock /etc/redis/redis.conf (with port, dir,
 * pidfile, daemonize and logfile overridden for the test) starts the broker, and every
 * parameter CONFIG GET shows afterwards is the one redis-server shows given the same
 * file, but for the differences listed here with their reasons. Also `include`, a config
 * on standard input, and the command line's own options.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BROKER_BIN, freePort, hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { RawClient } from '../harness/raw.js';
import { tempDir } from '../harness/temp.js';

const DEBIAN_CONF = '/etc/redis/redis.conf';

/**
 * Where the broker shows another value than redis-server for the same file, and why:
 * each server has its own port, dir and pidfile here; maxmemory-clients is bounded by
 * default (broker/net/client-memory.ts); the HTTP port is the broker's own (0 here).
 */
const DIFFERENT = new Set(['port', 'dir', 'pidfile', 'maxmemory-clients']);

/** This broker's own parameters (README, "Configuration"). */
const BROKER_OWN = new Set([
  'gateway-heartbeat-interval', 'gateway-max-frame-bytes', 'gateway-max-sessions', 'gateway-session-buffer-limit',
  'http-metrics-auth', 'http-port', 'log-format', 'metrics-exclude-keys', 'metrics-include-keys', 'metrics-max-keys',
]);

const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** `file` with the test's own port, dir, pidfile, foreground and log on standard output appended. */
function confFor(file: string, port: number, name: string): string {
  const dir = tempDir(`redis-conf-${name}-`);
  const conf = path.join(dir, 'redis.conf');
  copyFileSync(file, conf);
  writeFileSync(
    conf,
    `\nport ${port}\ndir ${dir}\npidfile ${path.join(dir, 'server.pid')}\ndaemonize no\nlogfile ""\n`,
    { flag: 'a' },
  );
  return conf;
}

/** `command` started, once it answers PING on `port`; `stdin` is what it reads on standard input. */
async function started(command: string, args: string[], port: number, stdin = ''): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  child.stdin!.end(stdin);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${output}`);
    try {
      const c = await RawClient.connect(port);
      const pong = (await c.call('PING')).raw.toString('latin1');
      c.close();
      if (pong === '+PONG\r\n') return { child, output: () => output };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${command} did not start: ${output}`);
}

async function configOf(port: number): Promise<Map<string, string>> {
  const c = await RawClient.connect(port);
  const flat = (await c.call('CONFIG', 'GET', '*')).value as string[];
  c.close();
  const map = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
  return map;
}

async function shutdown(port: number, child: ChildProcess): Promise<void> {
  const c = await RawClient.connect(port);
  c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
  await c.waitClosed();
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

describe.skipIf(!hasRedisServer() || !existsSync(DEBIAN_CONF))("Debian's redis.conf", () => {
  it('starts the broker with the values redis-server has for the same file', async () => {
    const [ourPort, refPort] = [await freePort(), await freePort()];
    const ours = await started(process.execPath, [BROKER_BIN, confFor(DEBIAN_CONF, ourPort, 'ours'), '--http-port', '0'], ourPort);
    const ref = await started('redis-server', [confFor(DEBIAN_CONF, refPort, 'ref')], refPort);
    const [ourConfig, refConfig] = [await configOf(ourPort), await configOf(refPort)];
    const mismatches = [...refConfig]
      .filter(([name, value]) => !DIFFERENT.has(name) && ourConfig.get(name) !== value)
      .map(([name, value]) => `${name}: ours ${JSON.stringify(ourConfig.get(name))}, redis-server ${JSON.stringify(value)}`);
    expect(mismatches).toEqual([]);
    expect([...ourConfig.keys()].filter((name) => !refConfig.has(name)).sort()).toEqual([...BROKER_OWN].sort());
    // The file sets parameters with no effect here: one warning line names them with their values.
    const warning = ours.output().split('\n').filter((l) => l.includes('accepted with no effect'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain('lazyfree-lazy-user-del \\"no\\"');
    expect(warning[0]).toContain('jemalloc-bg-thread \\"yes\\"');
    expect(ours.output()).toMatch(new RegExp(`Ready to accept connections tcp on 127\\.0\\.0\\.1:${ourPort}`));
    await shutdown(ourPort, ours.child);
    await shutdown(refPort, ref.child);
    // A normal shutdown is news, not a warning.
    expect(ours.output()).toMatch(/"level":"notice"[^\n]*User requested shutdown/);
    expect(ours.output()).not.toMatch(/"level":"warning"[^\n]*shutdown/i);
  }, 60_000);
});

describe('config files and the command line', () => {
  it('reads include (a file, and wildcards) and a config on standard input; logs in human form when asked', async () => {
    const dir = tempDir('conf-include-');
    mkdirSync(path.join(dir, 'conf.d'));
    writeFileSync(path.join(dir, 'conf.d', 'a.conf'), 'hz 20\n');
    writeFileSync(path.join(dir, 'conf.d', 'b.conf'), 'maxmemory-policy allkeys-lru\n');
    writeFileSync(path.join(dir, 'extra.conf'), 'timeout 9\n');
    const port = await freePort();
    const main = path.join(dir, 'main.conf');
    writeFileSync(main, `include ${path.join(dir, 'extra.conf')}\ninclude ${path.join(dir, 'conf.d', '*.conf')}\ninclude ${path.join(dir, 'none', '*.conf')}\n`);
    const args = [BROKER_BIN, main, '--port', String(port), '--bind', '127.0.0.1', '--http-port', '0', '--appendonly', 'no', '--dir', dir, '--log-format', 'human', '-'];
    const { child, output } = await started(process.execPath, args, port, 'tcp-keepalive 77\n');
    expect(output()).toMatch(new RegExp(`^${child.pid}:M \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\* Ready to accept connections tcp on 127\\.0\\.0\\.1:${port}$`, 'm'));
    const config = await configOf(port);
    expect([config.get('timeout'), config.get('hz'), config.get('maxmemory-policy'), config.get('tcp-keepalive')]).toEqual(['9', '20', 'allkeys-lru', '77']);
    await shutdown(port, child);
  }, 30_000);

  it('answers --version, --help, --test-memory and the subcommands\' --help without starting', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [BROKER_BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
    for (const flag of ['-v', '--version']) {
      const r = run(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^streams-broker v=\\S+ redis=7\\.0\\.\\d+ node=${process.version.replace(/\./g, '\\.')} bits=64\\n$`));
    }
    for (const flag of ['-h', '--help']) {
      const r = run(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage: broker [/path/to/redis.conf] [options] [-]');
    }
    const memory = run('--test-memory', '1024');
    expect(memory.status).toBe(1);
    expect(memory.stderr).toContain('--test-memory is not supported');
    for (const sub of ['check-aof', 'check-rdb']) {
      const r = run(sub, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: broker ${sub}`);
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
