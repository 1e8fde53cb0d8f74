/**
 * Streamed replies (issue 11, "huge ranges don't freeze the broker"): a range of
 * hundreds of thousands of entries is written in pieces as the client reads it
 * (engine/streamed-reply.ts). The reply is the value at the command's instant, whatever
 * other clients write meanwhile; other clients are answered while it is unfinished; a
 * client that goes mid-reply releases the frozen range (INFO `streamed_replies`);
 * later pipelined replies, MULTI, and group commit keep their order.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectedSocket, encodeCommand, RawClient } from '../harness/raw.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { noneStreamed, streamedReplies } from '../harness/streamed.js';

/** Entries of the stream and elements of the list: their replies, ~30 MB, outgrow the kernel's socket buffers. */
const N = 300_000;
const PAD = 'x'.repeat(60);
const entryValue = (i: number): string => `v${i}${PAD}`;
const element = (i: number): string => `e${i}${PAD}`;

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;

/** XRANGE's reply for the entries `ids` (IDs `<i+1>-0`, field `f`). */
function expectedEntries(ids: readonly number[]): Buffer {
  const parts = [`*${ids.length}\r\n`];
  for (const i of ids) parts.push(`*2\r\n${bulk(`${i + 1}-0`)}*2\r\n$1\r\nf\r\n${bulk(entryValue(i))}`);
  return Buffer.from(parts.join(''), 'latin1');
}

function expectedElements(ids: readonly number[]): Buffer {
  return Buffer.from(`*${ids.length}\r\n` + ids.map((i) => bulk(element(i))).join(''), 'latin1');
}

const ALL = Array.from({ length: N }, (_, i) => i);

/** Fills `key` as a stream (XADD) or a list (RPUSH) of N entries, pipelined. */
async function fill(c: RawClient, key: string, kind: 'stream' | 'list'): Promise<void> {
  const batch = 20_000;
  for (let start = 0; start < N; start += batch) {
    const cmds: Buffer[] = [];
    for (let i = start; i < start + batch; i++) {
      cmds.push(encodeCommand(kind === 'stream' ? ['XADD', key, `${i + 1}-0`, 'f', entryValue(i)] : ['RPUSH', key, element(i)]));
    }
    c.write(Buffer.concat(cmds));
    await c.readMany(batch);
  }
}

/** A connection that reads raw bytes, can stop reading (its socket paused) and wait for a count of bytes. */
class SlowReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private waiter: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<SlowReader> {
    return new SlowReader(await connectedSocket(port));
  }

  send(...argvs: string[][]): void {
    this.socket.write(Buffer.concat(argvs.map((argv) => encodeCommand(argv))));
  }

  /** Waits until at least `n` bytes have arrived (reading on), and returns them all. */
  async bytes(n: number): Promise<Buffer> {
    this.socket.resume();
    while (this.size < n && !this.closed) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = null;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  /** Waits for more bytes than the `n` first, then stops reading: the broker's output backs up. */
  async pauseAfter(n = 0): Promise<void> {
    await this.bytes(n + 1);
    this.socket.pause();
  }

  /** Waits until `marker` has arrived; returns the offset just after it. */
  async upTo(marker: string): Promise<number> {
    for (;;) {
      const all = await this.bytes(this.size);
      const at = all.indexOf(marker, 0, 'latin1');
      if (at >= 0) return at + marker.length;
      await this.bytes(this.size + 1);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Expects `got` to equal `want` byte for byte, reporting the first difference briefly. */
function expectBytes(got: Buffer, want: Buffer): void {
  if (got.equals(want)) return;
  let at = 0;
  while (at < Math.min(got.length, want.length) && got[at] === want[at]) at++;
  expect({ length: got.length, at, got: got.subarray(at, at + 80).toString('latin1') }).toEqual({
    length: want.length,
    at,
    got: want.subarray(at, at + 80).toString('latin1'),
  });
}

describe('streamed range replies', () => {
  const server = suiteBroker([], { timeout: 120_000 });
  const c = suiteClient(server);

  it('XRANGE shows the stream as it was while another client changes it, and a third is answered meanwhile', { timeout: 120_000 }, async () => {
    await c.call('DEL', 's');
    await fill(c, 's', 'stream');
    const reader = await SlowReader.connect(server.port);
    reader.send(['XRANGE', 's', '-', '+']);
    await reader.pauseAfter();
    expect(await streamedReplies(c)).toBe(1);
    // The writes change the tail node, a middle one and the head (XTRIM drops nodes).
    expect((await c.call('XADD', 's', `${N + 1}-0`, 'f', 'new')).value).toBe(`${N + 1}-0`);
    expect((await c.call('XDEL', 's', '150000-0', '5-0')).value).toBe(2);
    expect((await c.call('XTRIM', 's', 'MAXLEN', '10')).value).toBe(N - 11);
    const pinger = await RawClient.connect(server.port);
    expect((await pinger.call('PING')).raw.toString()).toBe('+PONG\r\n');
    pinger.close();
    expect(await streamedReplies(c)).toBe(1);
    const want = expectedEntries(ALL);
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
    await noneStreamed(c);
    expect((await c.call('XLEN', 's')).value).toBe(10);
    await c.call('DEL', 's');
  });

  it('LRANGE shows the list as it was while another client changes it', { timeout: 120_000 }, async () => {
    await c.call('DEL', 'l');
    await fill(c, 'l', 'list');
    const reader = await SlowReader.connect(server.port);
    reader.send(['LRANGE', 'l', '1', '-2']);
    await reader.pauseAfter();
    expect(await streamedReplies(c)).toBe(1);
    await c.call('LSET', 'l', '150000', 'changed');
    await c.call('LPUSH', 'l', 'head');
    await c.call('RPOP', 'l');
    await c.call('LREM', 'l', '0', element(7));
    await c.call('LINSERT', 'l', 'BEFORE', element(100_000), 'inserted');
    await c.call('LTRIM', 'l', '1000', '-1000');
    expect((await c.call('PING')).raw.toString()).toBe('+PONG\r\n');
    const want = expectedElements(ALL.slice(1, -1));
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
    await noneStreamed(c);
    await c.call('DEL', 'l');
  });

  it('a snapshot that shares the list with a streamed reply and finishes first leaves the reply its value', { timeout: 120_000 }, async () => {
    await c.call('DEL', 'l');
    await fill(c, 'l', 'list');
    const reader = await SlowReader.connect(server.port);
    reader.send(['LRANGE', 'l', '0', '-1']);
    await reader.pauseAfter();
    expect((await c.call('BGSAVE')).raw.toString()).toBe('+Background saving started\r\n');
    await c.call('LSET', 'l', '1000', 'during the snapshot');
    for (let tries = 0; tries < 400; tries++) {
      if (/rdb_bgsave_in_progress:0/.test((await c.call('INFO', 'persistence')).value as string)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    // The snapshot no longer holds the chunks; the reply still does.
    await c.call('LSET', 'l', '200000', 'after the snapshot');
    await c.call('LPOP', 'l');
    await c.call('RPUSH', 'l', 'tail');
    const want = expectedElements(ALL);
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
    await noneStreamed(c);
    await c.call('DEL', 'l');
  });

  it('a client that disconnects or is killed mid-reply releases the frozen range', { timeout: 120_000 }, async () => {
    await fill(c, 's', 'stream');
    await fill(c, 'l', 'list');
    const gone = await SlowReader.connect(server.port);
    gone.send(['XRANGE', 's', '-', '+'], ['LRANGE', 'l', '0', '-1']);
    await gone.pauseAfter();
    expect(await streamedReplies(c)).toBe(2);
    gone.close();
    await noneStreamed(c);

    const killed = await SlowReader.connect(server.port);
    killed.send(['CLIENT', 'ID']);
    const idEnd = await killed.upTo('\r\n');
    const id = (await killed.bytes(idEnd)).toString('latin1', 1, idEnd - 2);
    killed.send(['XREVRANGE', 's', '+', '-']);
    await killed.pauseAfter(idEnd);
    expect(await streamedReplies(c)).toBe(1);
    expect((await c.call('CLIENT', 'KILL', 'ID', id)).value).toBe(1);
    await noneStreamed(c);
    killed.close();
    // The key is whole and still writable.
    expect((await c.call('XLEN', 's')).value).toBe(N);
    expect((await c.call('XADD', 's', `${N + 1}-0`, 'f', 'x')).value).toBe(`${N + 1}-0`);
    await c.call('DEL', 's', 'l');
  });

  it('pipelined replies after huge ones come back in order, also past the streamed replies a client may have waiting', { timeout: 120_000 }, async () => {
    await fill(c, 's', 'stream');
    await fill(c, 'l', 'list');
    await c.call('SET', 'k', 'v');
    const reader = await SlowReader.connect(server.port);
    const ranges = [
      ['XRANGE', 's', '-', '+'],
      ['LRANGE', 'l', '0', '-1'],
    ];
    // Six huge ranges in one write: the input waits after four, and goes on as they complete.
    reader.send(...ranges, ['GET', 'k'], ...ranges, ['PING'], ...ranges, ['ECHO', 'end']);
    const entries = expectedEntries(ALL);
    const elements = expectedElements(ALL);
    const want = Buffer.concat([entries, elements, Buffer.from('$1\r\nv\r\n'), entries, elements, Buffer.from('+PONG\r\n'), entries, elements, Buffer.from('$3\r\nend\r\n')]);
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
    await noneStreamed(c);
  });

  it('streams a few hundred large entries too (their bytes, not their count, make it large)', { timeout: 120_000 }, async () => {
    const big = (i: number): string => String.fromCharCode(65 + (i % 26)).repeat(40_000) + i;
    const ids = Array.from({ length: 400 }, (_, i) => i);
    for (const i of ids) {
      await c.call('RPUSH', 'bigl', big(i));
      await c.call('XADD', 'bigs', `${i + 1}-0`, 'f', big(i));
    }
    const reader = await SlowReader.connect(server.port);
    reader.send(['XRANGE', 'bigs', '-', '+'], ['LRANGE', 'bigl', '0', '-1']);
    await reader.pauseAfter();
    expect(await streamedReplies(c)).toBeGreaterThan(0);
    const entries = Buffer.from(`*400\r\n` + ids.map((i) => `*2\r\n${bulk(`${i + 1}-0`)}*2\r\n$1\r\nf\r\n${bulk(big(i))}`).join(''), 'latin1');
    const elements = Buffer.from(`*400\r\n` + ids.map((i) => bulk(big(i))).join(''), 'latin1');
    const want = Buffer.concat([entries, elements]);
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
    await noneStreamed(c);
    await c.call('DEL', 'bigl', 'bigs');
  });

  it('streams the reply of a blocked XREAD served thousands of entries at once', { timeout: 120_000 }, async () => {
    await c.call('DEL', 'blocked');
    const reader = await SlowReader.connect(server.port);
    reader.send(['XREAD', 'COUNT', '5000', 'BLOCK', '0', 'STREAMS', 'blocked', '$'], ['ECHO', 'after']);
    for (let tries = 0; tries < 200; tries++) {
      if (/blocked_clients:1/.test((await c.call('INFO', 'clients')).value as string)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ids = Array.from({ length: 3000 }, (_, i) => i);
    const adds = ids.map((i) => encodeCommand(['XADD', 'blocked', `${i + 1}-0`, 'f', entryValue(i)]));
    c.write(Buffer.concat([encodeCommand(['MULTI']), ...adds, encodeCommand(['EXEC'])]));
    await c.readMany(ids.length + 2);
    const want = Buffer.concat([Buffer.from(`*1\r\n*2\r\n${bulk('blocked')}`), expectedEntries(ids), Buffer.from(bulk('after'))]);
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
    await noneStreamed(c);
    await c.call('DEL', 'blocked');
  });

  it('streams inside MULTI/EXEC and in RESP3, replies after them in order', { timeout: 120_000 }, async () => {
    const reader = await SlowReader.connect(server.port);
    reader.send(['HELLO', '3'], ['ECHO', 'resp3']);
    const start = await reader.upTo(bulk('resp3'));
    reader.send(
      ['MULTI'],
      ['XRANGE', 's', '-', '+'],
      ['SET', 'k', 'w'],
      ['XREAD', 'COUNT', '0', 'STREAMS', 's', 's', '0', `${N - 5000}-0`],
      ['LRANGE', 'l', '0', '-1'],
      ['EXEC'],
      ['GET', 'k'],
    );
    const entries = expectedEntries(ALL);
    const lastEntries = expectedEntries(ALL.slice(N - 5000));
    const xread = Buffer.concat([Buffer.from(`%2\r\n${bulk('s')}`), entries, Buffer.from(bulk('s')), lastEntries]);
    const after = Buffer.concat([
      Buffer.from('+OK\r\n' + '+QUEUED\r\n'.repeat(4) + '*4\r\n'),
      entries,
      Buffer.from('+OK\r\n'),
      xread,
      expectedElements(ALL),
      Buffer.from('$1\r\nw\r\n'),
    ]);
    const got = await reader.bytes(start + after.length);
    expectBytes(got.subarray(start), after);
    reader.close();
    await noneStreamed(c);
  });
});

describe('streamed replies under appendfsync always (group commit)', () => {
  const server = suiteBroker(['--appendonly', 'yes', '--appendfsync', 'always'], { timeout: 60_000 });
  const c = suiteClient(server);

  it('a range that shows the writes before it waits for their fsync, and the replies after it keep their order', { timeout: 120_000 }, async () => {
    await fill(c, 's', 'stream');
    const reader = await SlowReader.connect(server.port);
    reader.send(['XADD', 's', `${N + 1}-0`, 'f', 'last'], ['XRANGE', 's', `${N - 2999}`, '+'], ['INCR', 'n'], ['XRANGE', 's', '-', '+', 'COUNT', '2500'], ['PING']);
    const range = Buffer.from(
      `*3001\r\n` +
        ALL.slice(N - 3000)
          .map((i) => `*2\r\n${bulk(`${i + 1}-0`)}*2\r\n$1\r\nf\r\n${bulk(entryValue(i))}`)
          .join('') +
        `*2\r\n${bulk(`${N + 1}-0`)}*2\r\n$1\r\nf\r\n${bulk('last')}`,
      'latin1',
    );
    const want = Buffer.concat([Buffer.from(bulk(`${N + 1}-0`)), range, Buffer.from(':1\r\n'), expectedEntries(ALL.slice(0, 2500)), Buffer.from('+PONG\r\n')]);
    expectBytes(await reader.bytes(want.length), want);
    reader.close();
  });
});
