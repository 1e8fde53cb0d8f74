/**
 * Malformed requests over real sockets, against our broker and a real redis-server
 * side by side: the same replies byte for byte (commands earlier in the packet are
 * answered first), then the same decision to close the connection or keep it open.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { suiteServers, type DiffPair } from '../harness/diff.js';

const ERR = (what: string) => `-ERR Protocol error: ${what}\r\n`;

/**
 * Sends `bytes` to both servers, expects `replies` identical replies, then both to
 * close, having sent nothing more (no extra reply, no part of one) than the other.
 */
async function closesAfter(p: DiffPair, bytes: string | Buffer, replies: number): Promise<void> {
  await p.sameRaw(bytes, replies);
  await Promise.all([p.ours.waitClosed(), p.ref.waitClosed()]);
  expect(p.ours.leftover(), 'what came after the replies, before the close').toEqual(p.ref.leftover());
}

/** Sends `bytes`, expects identical replies, then checks both connections still work. */
async function staysOpen(p: DiffPair, bytes: string | Buffer, replies: number): Promise<void> {
  await p.sameRaw(bytes, replies);
  await p.same('PING', 'still-open');
}

describe.skipIf(!hasRedisServer())('protocol errors vs redis-server', () => {
  const servers = suiteServers();

  const closing: [string, string | Buffer, number][] = [
    ['non-numeric multibulk length', '*abc\r\n', 1],
    ['multibulk length above INT_MAX', '*2147483648\r\n', 1],
    ['multibulk length below -2^63', '*-9223372036854775809\r\n', 1],
    ['multibulk length with a leading zero', '*01\r\n', 1],
    ['non-numeric bulk length', '*3\r\n$x\r\n', 1],
    ['negative bulk length', '*1\r\n$-1\r\n', 1],
    ["a bulk that does not start with '$'", '*1\r\nx\r\n', 1],
    ["an empty line where '$' is expected", '*2\r\n$4\r\nECHO\r\n\r\n', 1],
    ['a high byte where $ is expected', '*1\r\n\xfe\r\n', 1],
    ['unbalanced double quotes', 'SET a "b\r\n', 1],
    ['unbalanced single quotes', "SET a 'b c\r\n", 1],
    ['text right after a closing quote', 'SET "a"b c\r\n', 1],
    ['a header line over 64 KB without CR', '*' + '1'.repeat(70_000), 1],
    ['a bulk length line over 64 KB without CR', '*1\r\n$' + '2'.repeat(70_000), 1],
    ['an inline request of 1 MB without newline', 'x'.repeat(1024 * 1024), 1],
    ['a NUL that hides the line end, until 64 KB', 'PING\0\r\n' + 'y'.repeat(70_000), 1],
    ['commands earlier in the packet are answered first', 'PING\r\n*1\r\n$4\r\nPING\r\nECHO "a b"\r\n*abc\r\nPING\r\n', 4],
    ['a pipeline ending in a bad bulk', Buffer.concat([encodeCommand(['SET', 'k', 'v']), encodeCommand(['GET', 'k']), Buffer.from('*2\r\n$3\r\nGET\r\n$-5\r\n')]), 3],
    ['a huge but valid count is accepted, then its bulks are checked', '*1025000000\r\n$4\r\nPING\r\nxyz\r\n', 1],
  ];
  it.each(closing)('closes on %s', async (_, bytes, replies) => {
    await closesAfter(await servers.pair(), bytes, replies);
  });

  it('sends the exact texts redis-server 7.0 sends', async () => {
    // Spot checks that the reference really is what these tests assume.
    const p = await servers.pair();
    p.ref.write('*abc\r\n');
    expect((await p.ref.read()).raw.toString('latin1')).toBe(ERR('invalid multibulk length'));
    p.close();
    const q = await servers.pair();
    q.ref.write('*1\r\n$' + '2'.repeat(70_000));
    expect((await q.ref.read()).raw.toString('latin1')).toBe(ERR('too big bulk count string'));
    q.close();
  });

  const open: [string, string | Buffer, number][] = [
    ['an empty multibulk', '*0\r\nPING\r\n', 1],
    ['a negative multibulk count (ignored)', '*-1\r\n*-2147483649\r\n*-9223372036854775808\r\nPING\r\n', 1],
    ['empty inline lines', '\r\n\n  \t \r\nPING\r\n', 1],
    ['a CR followed by any byte as the line end', '*1\rX$4\rYPING\r\n', 1],
    ['inline commands with quotes and escapes', 'ECHO "a\\x41\\n\\"b"\r\nECHO \'it\\\'s\'\r\n', 2],
    ['binary bulks with CR, LF and NUL', encodeCommand(['ECHO', '\r\n\0*$\r\n']), 1],
    ['a NUL before the line end (redis-server keeps waiting)', 'PING\0\r\n', 0],
  ];
  it.each(open)('stays open on %s', async (_, bytes, replies) => {
    const p = await servers.pair();
    if (replies === 0) {
      // Nothing comes back; a complete command after it is not run either (no line end
      // seen yet), so finish with a 64 KB overflow to get both servers to answer.
      await closesAfter(p, Buffer.concat([Buffer.from(bytes), Buffer.from('PING\r\n'), Buffer.alloc(70_000, 'z')]), 1);
    } else {
      await staysOpen(p, bytes, replies);
    }
  });

  it('closes without any reply on POST and Host: (cross-protocol scripting), even for earlier commands', async () => {
    for (const bytes of ['POST / HTTP/1.1\r\nHost: x\r\n\r\n', 'PING\r\nhost: example.com\r\n', 'SET a 1\r\nPOST /x HTTP/1.0\r\n']) {
      const p = await servers.pair();
      p.ours.write(bytes);
      p.ref.write(bytes);
      await Promise.all([p.ours.waitClosed(), p.ref.waitClosed()]);
      await expect(p.ours.read(100)).rejects.toThrow('connection closed');
      await expect(p.ref.read(100)).rejects.toThrow('connection closed');
    }
  });

  // redis-server formats unknown names and arguments with %.128s, which stops at NUL.
  it('quotes unknown command names and arguments as C strings, cut at a NUL byte', async () => {
    const p = await servers.pair();
    await p.same('NO\0SUCH', 'a\0b', 'c');
    await p.same('CLIENT', 'NO\0SUCH');
  });

  it('keeps serving other clients after protocol errors', async () => {
    const healthy = await servers.pair();
    await closesAfter(await servers.pair(), '*x\r\n', 1);
    await healthy.same('PING');
  });
});

describe.skipIf(!hasRedisServer())('proto-max-bulk-len vs redis-server', () => {
  const servers = suiteServers({ ours: ['--proto-max-bulk-len', '1mb'], ref: ['--proto-max-bulk-len', '1mb'] });

  it('rejects a bulk longer than the limit as soon as its length is read', async () => {
    await closesAfter(await servers.pair(), '*2\r\n$4\r\nECHO\r\n$2000000\r\n', 1);
  });

  it('accepts a bulk of exactly the limit', async () => {
    const p = await servers.pair();
    const value = Buffer.alloc(1024 * 1024, 'v');
    await staysOpen(p, encodeCommand(['ECHO', value]), 1);
  });
});

describe.skipIf(!hasRedisServer())('limits before AUTH vs redis-server (requirepass)', () => {
  const servers = suiteServers({ ours: ['--requirepass', 'secret'], ref: ['--requirepass', 'secret'] });

  it('rejects more than 10 arguments before AUTH', async () => {
    await closesAfter(await servers.pair(), encodeCommand(new Array(11).fill('x')), 1);
  });

  it('rejects a bulk over 16 KB before AUTH', async () => {
    await closesAfter(await servers.pair(), encodeCommand(['AUTH', 'x'.repeat(16385)]), 1);
  });

  it('accepts 10 arguments and 16 KB bulks before AUTH (and answers NOAUTH)', async () => {
    const p = await servers.pair();
    await staysOpen(p, Buffer.concat([encodeCommand(new Array(10).fill('x')), encodeCommand(['ECHO', 'y'.repeat(16384)])]), 2);
  });

  it('lifts the limits after AUTH', async () => {
    const p = await servers.pair();
    await p.same('AUTH', 'secret');
    await staysOpen(p, Buffer.concat([encodeCommand(['ECHO', 'y'.repeat(20_000)]), encodeCommand(['PING', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])]), 2);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
