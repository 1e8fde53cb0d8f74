/**
 * The broker's life: started from a config file plus flags (`node dist/broker/main.js
 * some.conf --port N`), refusing a bad file, and ended by SHUTDOWN or SIGTERM, in a
 * child process and in-process (where shutdown hooks may refuse).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { BROKER_BIN, freePort, startBroker } from '../harness/servers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'broker-lifecycle-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the built broker with `args`, waiting until it accepts connections. */
async function launch(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BROKER_BIN, ...args.map((a) => a.replace('$PORT', String(port)))], {
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
    expect(output()).toContain('*** FATAL CONFIG FILE ERROR ***');
    expect(output()).toContain("argument couldn't be parsed into an integer at line 1");
  });

  it('shuts down on SIGTERM', async () => {
    const { child, port } = await launch(['--port', '$PORT', '--bind', '127.0.0.1']);
    expect(port).toBeGreaterThan(0);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
});

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
