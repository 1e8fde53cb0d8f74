/**
 * The broker's life: started from a config file plus flags (`node dist/broker/main.js
 * some.conf --port N`), refusing a bad file, and ended by SHUTDOWN or SIGTERM, in a
 * child process and in-process (where shutdown hooks may refuse).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { tempDir } from '../harness/temp.js';
import { BROKER_BIN, freePort, hasRedisServer, NO_REDIS, startBroker } from '../harness/servers.js';

const dir = tempDir('broker-lifecycle-');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the built broker with `args`, waiting until it accepts connections. */
async function launch(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  // Run in the temp dir: the broker keeps its AOF in its working directory by default.
  const child = spawn(process.execPath, [BROKER_BIN, ...args.map((a) => a.replace('$PORT', String(port)))], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      const probe = await RawClient.connect(port);
      probe.close();
      return { child, port, output: () => output };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { child, port: -1, output: () => output };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the broker process', () => {
  it('loads a config file, then flags override it; SHUTDOWN ends the process', async () => {
    const conf = path.join(dir, 'some.conf');
    writeFileSync(
      conf,
      ['# a redis.conf-style file', 'maxclients 77', 'slowlog-max-len 33', 'save ""', 'port 1', 'bind 127.0.0.1', 'hz 20', ''].join('\n'),
    );
    const { child, port } = await launch([conf, '--port', '$PORT', '--hz', '15']);
    expect(port).toBeGreaterThan(0);
    const c = await RawClient.connect(port);
    expect((await c.call('CONFIG', 'GET', 'maxclients')).value).toEqual(['maxclients', '77']);
    expect((await c.call('CONFIG', 'GET', 'slowlog-max-len')).value).toEqual(['slowlog-max-len', '33']);
    expect((await c.call('CONFIG', 'GET', 'hz')).value).toEqual(['hz', '15']);
    expect((await c.call('CONFIG', 'GET', 'port')).value).toEqual(['port', String(port)]);
    const info = (await c.call('INFO', 'server')).value as string;
    expect(info).toContain(`config_file:${conf}\r\n`);
    expect(info).toContain(`tcp_port:${port}\r\n`);
    expect(info).toContain(`executable:${BROKER_BIN}\r\n`);
    c.write('*1\r\n$8\r\nSHUTDOWN\r\n');
    await c.waitClosed();
    expect(await exited(child)).toBe(0);
  });

  it('refuses a bad config file with the fatal error redis-server prints', async () => {
    const conf = path.join(dir, 'bad.conf');
    writeFileSync(conf, 'maxclients lots\n');
    const { child, port, output } = await launch([conf, '--port', '$PORT']);
    expect(port).toBe(-1);
    expect(await exited(child)).toBe(1);
    expect(output()).toContain(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxclients lots'\n" +
        "argument couldn't be parsed into an integer\n",
    );
  });

  it('shuts down on SIGTERM', async () => {
    const { child, port } = await launch(['--port', '$PORT', '--bind', '127.0.0.1']);
    expect(port).toBeGreaterThan(0);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
});

describe.skipIf(!hasRedisServer())('config errors vs redis-server', () => {
  /** What a server started with `args` prints before exiting with status 1. */
  const fatal = (command: string[], args: string[]): string => {
    const run = spawnSync(command[0], [...command.slice(1), ...args], { encoding: 'latin1', timeout: 10_000 });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    return (run.stdout + run.stderr).replace(/^\d+:C .*# /m, '');
  };

  it('reports a bad file or flag at the same line with the same text', () => {
    const cases: [string, string[]][] = [
      ['maxclients lots', []],
      ['foo bar', []],
      ['maxclients', []],
      ['maxclients 1 2', []],
      ['foo "bar', []],
      ['save 900 1 300', []],
      ['requirepass a b', []],
      ['port 1234\n\n# comment\n  timeout -5  ', []],
      ['notify-keyspace-events Q', []],
      ['dir /nonexistent/dir', []],
      ['port 1234', ['--maxclients', 'lots']],
      ['port 1234', ['--timeout', '1', '--nosuch', 'x']],
      ['port 1234', ['--save', '1']],
    ];
    for (const [text, flags] of cases) {
      const file = path.join(dir, 'case.conf');
      writeFileSync(file, text + '\n');
      const ours = fatal([process.execPath, BROKER_BIN], [file, ...flags]);
      const ref = fatal(['redis-server'], [file, ...flags]);
      expect(ours, `${text} ${flags.join(' ')}`).toBe(ref);
    }
    expect(fatal([process.execPath, BROKER_BIN], ['--hz', 'x'])).toBe(fatal(['redis-server'], ['--hz', 'x']));
    expect(fatal([process.execPath, BROKER_BIN], [path.join(dir, 'missing.conf')])).toBe(
      fatal(['redis-server'], [path.join(dir, 'missing.conf')]),
    );
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);

describe('SHUTDOWN in-process', () => {
  it('stops the broker, unless a shutdown hook fails and FORCE is not given', async () => {
    const server = await startBroker();
    let stopped = false;
    server.broker.onShutdown = () => (stopped = true);
    const seen: boolean[] = [];
    server.broker.shutdownHooks.push((options) => {
      seen.push(options.save);
      return 'disk full';
    });
    const c = await RawClient.connect(server.port);
    expect((await c.call('SHUTDOWN', 'SAVE')).raw.toString()).toBe('-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    expect(stopped).toBe(false);
    expect((await c.call('PING')).raw.toString()).toBe('+PONG\r\n');
    c.write('*2\r\n$8\r\nSHUTDOWN\r\n$5\r\nFORCE\r\n');
    await c.waitClosed();
    expect(stopped).toBe(true);
    expect(seen).toEqual([true, false]);
    await expect(RawClient.connect(server.port)).rejects.toThrow();
    await server.stop();
  });
});
