/**
 * MONITOR lines and SLOWLOG entries against redis-server: the same commands on both,
 * the outputs compared with only times, durations and client ports masked. Covers
 * sdscatrepr escaping, the db shown after SELECT, hidden admin and rejected commands,
 * redacted secrets, argument trimming and the slow log's length limit.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { suiteServers } from '../harness/diff.js';
import { RawClient } from '../harness/raw.js';

const LINE = /^\+(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)\r\n$/s;

/** A MONITOR line without its time and client port. */
function maskLine(raw: Buffer, port: number): string {
  const text = raw.toString('latin1');
  const m = LINE.exec(text);
  expect(m, text).not.toBe(null);
  expect(Number(m![4])).toBe(port);
  return `[${m![3]}] ${m![5]}`;
}

describe.skipIf(!hasRedisServer())('MONITOR and SLOWLOG vs redis-server', () => {
  const servers = suiteServers({ ours: ['--slowlog-log-slower-than', '0'], ref: ['--slowlog-log-slower-than', '0'] });

  it('MONITOR shows the same lines for the commands of other clients', async () => {
    const monitors = [await RawClient.connect(servers.ours.port), await RawClient.connect(servers.ref.port)];
    for (const m of monitors) expect((await m.call('MONITOR')).raw.toString()).toBe('+OK\r\n');
    const p = await servers.pair();
    const commands: string[][] = [
      ['SELECT', '3'],
      ['SET', 'k\x00\n"\\\xff \xe9\t\r\x07\x08', 'v'],
      ['AUTH', 'pw'],
      ['AUTH', 'u', 'pw'],
      ['AUTH', 'a', 'b', 'c'],
      ['HELLO', '3', 'AUTH', 'default', 'x', 'SETNAME', 'n'],
      ['HELLO', '2', 'SETNAME', 'm', 'AUTH', 'default'],
      ['CONFIG', 'GET', 'maxclients'],
      ['GET', 'a'],
      ['NOSUCH'],
      ['GET'],
      ['CLIENT', 'SETNAME', 'x'],
      ['CLIENT', 'ID'],
      ['SLOWLOG', 'LEN'],
      ['INFO', 'server'],
      ['MONITOR'],
      ['PING'],
      ['RESET'],
      ['ECHO', '12345'],
    ];
    for (const argv of commands) await p.both(...argv);
    // A sentinel command marks the end of what each monitor must have seen.
    await p.both('ECHO', 'end');
    const ports = [p.ours.socket.localPort!, p.ref.socket.localPort!];
    const seen: string[][] = [[], []];
    for (let i = 0; i < 2; i++) {
      for (;;) {
        const line = maskLine((await monitors[i].read()).raw, ports[i]);
        seen[i].push(line);
        if (line.endsWith('"echo" "end"') || line.endsWith('"ECHO" "end"')) break;
      }
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toContain('[3] "AUTH" "(redacted)"');
    for (const m of monitors) m.close();
  });

  it('MONITOR clients see their own commands and stop after RESET', async () => {
    const p = await servers.pair();
    await p.same('MONITOR');
    await p.both('ECHO', 'self');
    const lines = await Promise.all([p.ours.read(), p.ref.read()]);
    const ports = [p.ours.socket.localPort!, p.ref.socket.localPort!];
    expect(maskLine(lines[0].raw, ports[0])).toBe(maskLine(lines[1].raw, ports[1]));
    await p.sameRaw('*1\r\n$5\r\nRESET\r\n');
    await p.same('PING');
  });

  it('SLOWLOG records the same entries, with trimmed and redacted arguments', async () => {
    const p = await servers.pair();
    await p.same('SLOWLOG', 'RESET');
    await p.same('SLOWLOG', 'LEN');
    await p.same('CLIENT', 'SETNAME', 'slow-client');
    await p.same('ECHO', 'x'.repeat(129));
    await p.same('ECHO', 'y'.repeat(128));
    await p.same('CONFIG', 'GET', ...Array.from({ length: 40 }, (_, i) => `p${i}`));
    await p.same('CONFIG', 'GET', ...Array.from({ length: 31 }, (_, i) => `q${i}`));
    await p.same('CONFIG', 'SET', 'masterauth', 'secret', 'maxclients', '10000');
    await p.same('CONFIG', 'SET', 'masterauth', '');
    await p.same('AUTH', 'default', 'pw');
    await p.same('NOSUCH');
    await p.same('GET');
    await p.same('SLOWLOG', 'LEN');
    const mask = (v: unknown): unknown =>
      (v as unknown[][]).map(([id, , , argv, peer, name]) => [id, argv, (peer as string).replace(/:\d+$/, ':PORT'), name]);
    const { ours, ref } = await p.both('SLOWLOG', 'GET', '-1');
    expect(mask(ours.value)).toEqual(mask(ref.value));
    const entries = ours.value as unknown[][];
    for (const [id, time, duration] of entries) {
      expect(typeof id).toBe('number');
      expect(Math.abs((time as number) - Date.now() / 1000)).toBeLessThan(60);
      expect(duration as number).toBeGreaterThanOrEqual(0);
    }
    await p.same('SLOWLOG', 'GET', '1', 'x');
    await p.same('CONFIG', 'SET', 'slowlog-max-len', '2');
    await p.same('ECHO', '1');
    await p.same('SLOWLOG', 'LEN');
    await p.same('CONFIG', 'SET', 'slowlog-max-len', '0');
    await p.same('SLOWLOG', 'LEN');
    await p.same('CONFIG', 'SET', 'slowlog-max-len', '128', 'slowlog-log-slower-than', '-1');
    await p.same('SLOWLOG', 'LEN');
    await p.same('SLOWLOG', 'GET', '0');
    await p.same('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  });

  it('a long value (kept as bytes) is trimmed in SLOWLOG as redis-server does', async () => {
    const p = await servers.pair();
    const value = 'v'.repeat(2 * 1024 * 1024);
    await p.same('SLOWLOG', 'RESET');
    await p.same('SET', 'long', value);
    const { ours, ref } = await p.both('SLOWLOG', 'GET', '1');
    const argv = (r: typeof ours): unknown => (r.value as unknown[][])[0][3];
    expect(argv(ours)).toEqual(argv(ref));
    expect(argv(ours)).toEqual(['SET', 'long', `${'v'.repeat(128)}... (${value.length - 128} more bytes)`]);
  });

  it('MONITOR shows long arguments whole, every byte quoted, as redis-server does', async () => {
    const p = await servers.pair();
    // A value kept as bytes (over 1 MiB), and arguments kept as text that are long together.
    const bytes = Buffer.alloc(2 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const text = bytes.subarray(0, 700_000).toString('latin1');
    const commands = [
      ['SET', 'long', bytes],
      ['RPUSH', 'list', text, text],
      ['ECHO', 'end'],
    ];
    const ports = [servers.ours.port, servers.ref.port];
    const monitors = await Promise.all(ports.map((port) => RawClient.connect(port)));
    for (const m of monitors) expect((await m.call('MONITOR')).raw.toString()).toBe('+OK\r\n');
    for (const argv of commands) await p.same(...argv);
    const lines = await Promise.all(monitors.map(async (m, i) => (await m.readMany(commands.length)).map((r) => maskLine(r.raw, [p.ours, p.ref][i].socket.localPort!))));
    expect(lines[0].map((l) => l.length)).toEqual(lines[1].map((l) => l.length));
    expect(lines[0][0].length).toBeGreaterThan(bytes.length);
    expect(lines[0]).toEqual(lines[1]);
    for (const m of monitors) m.close();
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
