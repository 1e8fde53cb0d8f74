/**
 * CLIENT subcommands whose replies depend on live connections: LIST/INFO format and
 * values, KILL filters, PAUSE holding commands, UNBLOCK through the blocked-clients
 * registry, plus the idle `timeout` and `maxclients`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, startBroker, startRedis } from '../harness/servers.js';
import { suiteBroker, suiteServer } from '../harness/suite.js';
import type { Connection } from '../../broker/net/connection.js';
import { until } from '../harness/wait.js';

/** redis-server 7.0's CLIENT LIST fields, in order. */
const FIELDS = ['id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi',
  'qbuf', 'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd',
  'user', 'redir', 'resp'];

function parseLine(line: string): Map<string, string> {
  const fields = line.split(' ').map((kv) => {
    const eq = kv.indexOf('=');
    return [kv.slice(0, eq), kv.slice(eq + 1)] as [string, string];
  });
  expect(fields.map(([k]) => k)).toEqual(FIELDS);
  return new Map(fields);
}

function parseList(text: string): Map<string, string>[] {
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map(parseLine);
}

/** The blocking case runs on both servers: the same expectations hold for redis-server. */
const BLOCKING_TARGETS = [
  { name: 'broker', start: (args: string[]) => startBroker(args) },
  { name: 'redis-server', start: (args: string[]) => startRedis(args) },
];

if (!hasRedisServer()) console.warn(NO_REDIS);

describe('CLIENT against live connections', () => {
  const server = suiteBroker();
  const clients: RawClient[] = [];
  const connect = async (): Promise<RawClient> => {
    const c = await RawClient.connect(server.port);
    clients.push(c);
    return c;
  };
  /** Our side of a client, found by its local port. */
  const connectionOf = (c: RawClient): Connection =>
    [...server.broker.connections.values()].find((x) => x.addr === `127.0.0.1:${c.socket.localPort}`)!;
  const idOf = async (c: RawClient): Promise<number> => (await c.call('CLIENT', 'ID')).value as number;

  afterAll(() => {
    for (const c of clients) c.close();
  });

  it('lists every connection with redis-server 7.0 fields and real values', async () => {
    const a = await connect();
    const b = await connect();
    await b.call('CLIENT', 'SETNAME', 'worker');
    await b.call('SELECT', '4');
    const idA = await idOf(a);
    const idB = await idOf(b);
    const list = parseList((await a.call('CLIENT', 'LIST')).value as string);
    const mine = list.find((f) => f.get('id') === String(idA))!;
    expect(mine.get('addr')).toBe(`127.0.0.1:${a.socket.localPort}`);
    expect(mine.get('laddr')).toBe(`127.0.0.1:${server.port}`);
    expect(mine.get('cmd')).toBe('client|list');
    expect(mine.get('flags')).toBe('N');
    expect(mine.get('argv-mem')).toBe('10');
    expect(mine.get('resp')).toBe('2');
    expect(mine.get('user')).toBe('default');
    expect(mine.get('multi')).toBe('-1');
    expect(Number(mine.get('fd'))).toBeGreaterThan(0);
    const other = list.find((f) => f.get('id') === String(idB))!;
    expect(other.get('name')).toBe('worker');
    expect(other.get('db')).toBe('4');
    expect(other.get('cmd')).toBe('client|id');
    // IDs in the order asked, unknown ones skipped.
    const byId = parseList((await a.call('CLIENT', 'LIST', 'ID', String(idB), '999999', String(idA))).value as string);
    expect(byId.map((f) => f.get('id'))).toEqual([String(idB), String(idA)]);
    const normal = parseList((await a.call('CLIENT', 'LIST', 'TYPE', 'normal')).value as string);
    expect(normal.length).toBe(server.broker.connections.size);
    expect((await a.call('CLIENT', 'LIST', 'TYPE', 'replica')).value).toBe('');
    // CLIENT INFO is the caller's own line.
    const info = parseList((await b.call('CLIENT', 'INFO')).value as string);
    expect(info.length).toBe(1);
    expect(info[0].get('id')).toBe(String(idB));
    expect(info[0].get('cmd')).toBe('client|info');
    a.close();
    b.close();
  });

  it('shows flags: e for NO-EVICT, O for MONITOR, b while paused; resp after HELLO 3', async () => {
    const a = await connect();
    const m = await connect();
    await a.call('CLIENT', 'NO-EVICT', 'on');
    await a.call('HELLO', '3');
    await m.call('MONITOR');
    const list = parseList((await a.call('CLIENT', 'LIST')).value as string);
    const idA = String(connectionOf(a).id);
    const idM = String(connectionOf(m).id);
    expect(list.find((f) => f.get('id') === idA)!.get('flags')).toBe('e');
    expect(list.find((f) => f.get('id') === idA)!.get('resp')).toBe('3');
    expect(list.find((f) => f.get('id') === idM)!.get('flags')).toBe('O');
    a.close();
    m.close();
  });

  it('kills by ID, ADDR, LADDR, TYPE and USER, skipping the caller unless SKIPME no', async () => {
    const killer = await connect();
    const x = await connect();
    const y = await connect();
    expect((await killer.call('CLIENT', 'KILL', 'ID', String(await idOf(x)))).value).toBe(1);
    await x.waitClosed();
    expect((await killer.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${y.socket.localPort}`)).value).toBe(1);
    await y.waitClosed();
    const old = await connect();
    expect((await killer.call('CLIENT', 'KILL', `127.0.0.1:${old.socket.localPort}`)).raw.toString()).toBe('+OK\r\n');
    await old.waitClosed();
    const u = await connect();
    const v = await connect();
    await v.call('PING');
    const others = server.broker.connections.size - 1;
    expect((await killer.call('CLIENT', 'KILL', 'USER', 'default'))).toMatchObject({ value: others });
    await Promise.all([u.waitClosed(), v.waitClosed()]);
    const w = await connect();
    await w.call('PING');
    expect((await killer.call('CLIENT', 'KILL', 'LADDR', `127.0.0.1:${server.port}`, 'TYPE', 'normal')).value).toBe(1);
    await w.waitClosed();
    // The caller itself: it gets its reply, then the connection closes.
    expect((await killer.call('CLIENT', 'KILL', 'ID', String(await idOf(killer)), 'SKIPME', 'no')).value).toBe(1);
    await killer.waitClosed();
    const self = await connect();
    expect((await self.call('CLIENT', 'KILL', `127.0.0.1:${self.socket.localPort}`)).raw.toString()).toBe('+OK\r\n');
    await self.waitClosed();
  });

  it('CLIENT PAUSE WRITE holds writes (and what follows them) while reads pass', async () => {
    const admin = await connect();
    const writer = await connect();
    const reader = await connect();
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const setReply = writer.call('SET', 'paused-key', 'v');
    const getAfter = writer.read();
    writer.write('*2\r\n$3\r\nGET\r\n$10\r\npaused-key\r\n');
    const writerConn = connectionOf(writer);
    await until('the SET to be held', () => writerConn.heldCommand !== null);
    expect(writerConn.heldCommand).toEqual(['SET', 'paused-key', 'v']);
    // Reads from others run; the held SET has not.
    expect((await reader.call('GET', 'paused-key')).value).toBe(null);
    expect(parseList((await reader.call('CLIENT', 'LIST', 'ID', String(writerConn.id))).value as string)[0].get('flags')).toBe('b');
    expect((await admin.call('CLIENT', 'UNPAUSE')).raw.toString()).toBe('+OK\r\n');
    expect((await setReply).raw.toString()).toBe('+OK\r\n');
    expect((await getAfter).value).toBe('v');
  });

  it('CLIENT PAUSE WRITE holds PUBLISH too (it may replicate, a flag COMMAND INFO hides)', async () => {
    const admin = await connect();
    const publisher = await connect();
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const published = publisher.call('PUBLISH', 'news', 'hello');
    const conn = connectionOf(publisher);
    await until('the PUBLISH to be held', () => conn.heldCommand !== null);
    expect(conn.heldCommand).toEqual(['PUBLISH', 'news', 'hello']);
    await admin.call('CLIENT', 'UNPAUSE');
    expect((await published).raw.toString()).toBe(':0\r\n');
  });

  it('CLIENT PAUSE ALL holds every command, CLIENT UNPAUSE included, until it ends', async () => {
    const admin = await connect();
    const other = await connect();
    await admin.call('CLIENT', 'PAUSE', '300', 'ALL');
    const held = other.call('PING');
    const otherConn = connectionOf(other);
    await until('the PING to be held', () => otherConn.heldCommand !== null);
    const unpause = admin.call('CLIENT', 'UNPAUSE');
    expect((await held).raw.toString()).toBe('+PONG\r\n');
    expect((await unpause).raw.toString()).toBe('+OK\r\n');
    expect(server.broker.pause.active).toBe(false);
  });

  it('CLIENT UNBLOCK wakes a client waiting in the engine, by timeout or error', async () => {
    const admin = await connect();
    const blocked = await connect();
    const conn = connectionOf(blocked);
    const blockForever = (): void =>
      server.broker.engine.blocking.block(conn, { keys: ['nothing'], timeoutMs: 0, serve: () => false, timedOut: () => conn.reply.nilArray() });
    blockForever();
    expect(parseList((await admin.call('CLIENT', 'LIST', 'ID', String(conn.id))).value as string)[0].get('flags')).toBe('b');
    expect((await admin.call('INFO', 'clients')).value as string).toContain('blocked_clients:1\r\n');
    expect((await admin.call('CLIENT', 'UNBLOCK', String(conn.id))).value).toBe(1);
    expect((await blocked.read()).raw.toString()).toBe('*-1\r\n');
    expect((await admin.call('CLIENT', 'UNBLOCK', String(conn.id))).value).toBe(0);
    blockForever();
    expect((await admin.call('CLIENT', 'UNBLOCK', String(conn.id), 'ERROR')).value).toBe(1);
    expect((await blocked.read()).raw.toString()).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
    // A wait whose connection closes is forgotten.
    blockForever();
    blocked.close();
    await until('the wait to be cancelled', () => server.broker.engine.blocking.size === 0);
  });

  it('closes clients idle longer than `timeout`, but not MONITOR clients', async () => {
    const admin = await connect();
    const idle = await connect();
    const monitor = await connect();
    await monitor.call('MONITOR');
    await idle.call('PING');
    await admin.call('CONFIG', 'SET', 'timeout', '1');
    const keepAlive = setInterval(() => admin.write('*1\r\n$4\r\nPING\r\n'), 200);
    try {
      await idle.waitClosed();
      expect(monitor.closed).toBe(false);
      expect(admin.closed).toBe(false);
    } finally {
      clearInterval(keepAlive);
      await admin.call('CONFIG', 'SET', 'timeout', '0');
    }
  });

  it('refuses connections beyond maxclients', async () => {
    const admin = await connect();
    await admin.call('CONFIG', 'SET', 'maxclients', String(server.broker.connections.size));
    const refused = await connect();
    expect((await refused.read()).raw.toString()).toBe('-ERR max number of clients reached\r\n');
    await refused.waitClosed();
    await admin.call('CONFIG', 'SET', 'maxclients', '10000');
    const info = (await admin.call('INFO', 'stats')).value as string;
    expect(info).toMatch(/rejected_connections:1\r\n/);
  });
});

describe.skipIf(!hasRedisServer()).each(BLOCKING_TARGETS)('a command that blocks, on $name', ({ start }) => {
  const server = suiteServer(() => start(['--slowlog-log-slower-than', '0']));

  it("holds the client's later commands, answers when served, and is counted then", async () => {
    const monitor = await RawClient.connect(server.port);
    await monitor.call('MONITOR');
    const waiter = await RawClient.connect(server.port);
    const pusher = await RawClient.connect(server.port);
    await pusher.call('SLOWLOG', 'RESET');
    waiter.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n');
    // MONITOR shows the blocking command when it is issued.
    expect((await monitor.read()).raw.toString()).toMatch(/"BLPOP" "q" "0"\r\n$/);
    // Counted as a call when it blocks (its time and slow log entry come when served).
    expect((await pusher.call('INFO', 'commandstats')).value).toMatch(/cmdstat_blpop:calls=1,/);
    expect((await pusher.call('LPUSH', 'q', 'job')).value).toBe(1);
    expect((await waiter.read()).value).toEqual(['q', 'job']);
    expect((await waiter.read()).raw.toString()).toBe('+PONG\r\n');
    expect((await pusher.call('INFO', 'commandstats')).value).toMatch(/cmdstat_blpop:calls=1,/);
    const slowlog = (await pusher.call('SLOWLOG', 'GET', '-1')).value as unknown[][];
    // Newest first: BLPOP is logged once served, after the LPUSH that served it.
    expect(slowlog.map((entry) => (entry[3] as string[])[0])).toEqual(['INFO', 'PING', 'BLPOP', 'LPUSH', 'INFO', 'SLOWLOG']);
    for (const c of [monitor, waiter, pusher]) c.close();
  });
});
