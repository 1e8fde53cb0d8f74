/**
 * The request parser alone: every way a byte stream can be cut into reads gives the
 * same commands, limits and errors follow redis-server's networking.c, and inline
 * splitting matches what a real redis-server makes of the same lines.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LargeCommand, PROTO_INLINE_MAX_SIZE, RespParser, splitArgs } from '../../protocol/parser.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { suiteRedis } from '../harness/suite.js';

interface Parsed {
  commands: string[][];
  error: string | null;
}

/** Feeds the chunks one by one, draining complete commands after each, as a connection does. */
function parseChunks(chunks: Iterable<Buffer>, setup?: (p: RespParser) => void): Parsed {
  const parser = new RespParser();
  setup?.(parser);
  const commands: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let argv = parser.next(); argv !== null; argv = parser.next()) commands.push(Array.isArray(argv) ? argv : latin1Args(argv));
  }
  return { commands, error: parser.error };
}

/** A command with long bulks as strings, to compare with the expected arguments. */
const latin1Args = (large: LargeCommand): string[] => large.args.map((a) => (typeof a === 'string' ? a : a.latin1Slice()));
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const parse = (s: string | Buffer, setup?: (p: RespParser) => void): Parsed =>
  parseChunks([typeof s === 'string' ? bytes(s) : s], setup);

/** Cuts `buf` at the given offsets (sorted, deduplicated, within bounds). */
function cut(buf: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), buf.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(buf.subarray(from, p));
    from = p;
  }
  chunks.push(buf.subarray(from));
  return chunks;
}

function* everyByte(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++) yield buf.subarray(i, i + 1);
}

function* chunksOf(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** A pipeline mixing every request shape, with the commands it must yield. */
const MIXED_COMMANDS: string[][] = [
  ['SET', 'key', 'value'],
  ['GET', 'key'],
  ['SET', 'bin', '\r\n\0\xff$*\r'],
  ['ECHO', ''],
  ['PING'],
  ['SET', 'quoted', 'a b\n'],
  ['MSET', 'a', '1', 'b', '2', 'c', '3'],
];
const MIXED = Buffer.concat([
  encodeCommand(MIXED_COMMANDS[0]),
  encodeCommand(MIXED_COMMANDS[1]),
  encodeCommand(MIXED_COMMANDS[2]),
  bytes('*0\r\n*-1\r\n'), // empty multibulks are skipped
  encodeCommand(MIXED_COMMANDS[3]),
  bytes('\r\n\n   \r\nPING\r\n'), // empty inline lines are skipped
  bytes('SET quoted "a b\\n"\n'),
  encodeCommand(MIXED_COMMANDS[6]),
]);

describe('RespParser: splitting input across reads', () => {
  it('parses a mixed pipeline read at once', () => {
    expect(parse(MIXED)).toEqual({ commands: MIXED_COMMANDS, error: null });
  });

  it('gives the same commands when fed one byte at a time', () => {
    expect(parseChunks(everyByte(MIXED))).toEqual({ commands: MIXED_COMMANDS, error: null });
  });

  it('gives the same commands for every single cut point and every pair of cut points', () => {
    for (let i = 0; i <= MIXED.length; i++) {
      expect(parseChunks(cut(MIXED, [i])).commands).toEqual(MIXED_COMMANDS);
      for (let j = i; j <= MIXED.length; j += 7) {
        expect(parseChunks(cut(MIXED, [i, j])).commands).toEqual(MIXED_COMMANDS);
      }
    }
  });

  const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  const argv = fc.array(
    fc.oneof({ weight: 8, arbitrary: latin1 }, { weight: 1, arbitrary: fc.constantFrom('', '\r\n', '$3\r\n', '*1\r\n') }),
    { minLength: 1, maxLength: 8 },
  );
  /** Inline commands: plain words only, so the expected argv is known without splitArgs. */
  const inlineArgv = fc.array(fc.stringMatching(/^[a-zA-Z0-9_:.-]{1,12}$/), { minLength: 1, maxLength: 5 });
  const request = fc.oneof(
    { weight: 4, arbitrary: argv.map((a) => ({ argv: a, wire: encodeCommand(a) })) },
    { weight: 1, arbitrary: inlineArgv.map((a) => ({ argv: a, wire: bytes(a.join(' ') + '\r\n') })) },
    { weight: 1, arbitrary: inlineArgv.map((a) => ({ argv: a, wire: bytes(' ' + a.join('  \t') + '\n') })) },
  );

  it('gives the same commands for random pipelines cut at random points (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (reqs, offsets) => {
        const wire = Buffer.concat(reqs.map((r) => r.wire));
        const expected = reqs.map((r) => r.argv);
        const chunks = cut(wire, offsets.map((o) => o % (wire.length + 1)));
        expect(parseChunks(chunks)).toEqual({ commands: expected, error: null });
      }),
      { seed: 20240601, numRuns: 400 },
    );
  });

  it('parses a pipeline of 10,000 commands, whole and in reads of every size up to 64 KB', () => {
    const commands: string[][] = [];
    for (let i = 0; i < 10_000; i++) {
      commands.push(i % 3 === 0 ? ['SET', `key:${i}`, 'v'.repeat(i % 50)] : i % 3 === 1 ? ['GET', `key:${i}`] : ['INCR', 'n']);
    }
    const wire = Buffer.concat(commands.map(encodeCommand));
    expect(parse(wire).commands).toEqual(commands);
    for (const size of [1, 2, 3, 5, 16, 100, 1000, 4096, 16 * 1024, 64 * 1024]) {
      const got = parseChunks(chunksOf(wire, size));
      expect(got.error).toBeNull();
      expect(got.commands.length).toBe(commands.length);
      expect(got.commands).toEqual(commands);
    }
  });

  it('assembles a 10 MB bulk read in chunks from 1 byte to 64 KB, each byte copied once', () => {
    // A parser that re-concatenated its pending input on every read would copy
    // ~50 TB for the 1-byte case: this test finishing at all is the linearity check.
    const value = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7 + (i >> 11)) & 0xff;
    const wire = Buffer.concat([encodeCommand([bytes('SET'), bytes('big'), value]), encodeCommand(['PING'])]);
    const expected = value.latin1Slice(0, value.length);
    const sizes = [7, 1000, 16 * 1024, 64 * 1024];
    for (const size of sizes) {
      const got = parseChunks(chunksOf(wire, size));
      expect(got.error).toBeNull();
      expect(got.commands.length).toBe(2);
      expect(got.commands[0][2] === expected).toBe(true);
    }
    // One byte at a time over a 1 MB bulk (10M one-byte reads would only test the runtime).
    const mb = encodeCommand(['SET', 'k', 'x'.repeat(1024 * 1024)]);
    const got = parseChunks(everyByte(mb));
    expect(got.commands.length).toBe(1);
    expect(got.commands[0][2].length).toBe(1024 * 1024);
    // Random read sizes between 1 byte and 64 KB.
    const rnd = fc.sample(fc.integer({ min: 1, max: 64 * 1024 }), { seed: 7, numRuns: 2000 });
    const chunks: Buffer[] = [];
    for (let at = 0, i = 0; at < wire.length; at += rnd[i++ % rnd.length]) chunks.push(wire.subarray(at, at + rnd[i % rnd.length]));
    const random = parseChunks(chunks);
    expect(random.commands.length).toBe(2);
    expect(random.commands[0][2] === expected).toBe(true);
  });

  it('holds memory for what a client sent, not for the bulk length it announced', () => {
    const before = process.memoryUsage().arrayBuffers;
    const parsers = Array.from({ length: 20 }, () => {
      const p = new RespParser();
      p.feed(bytes('*2\r\n$3\r\nSET\r\n$536870912\r\n' + 'x'.repeat(1000)));
      expect(p.next()).toBeNull();
      return p;
    });
    // 20 buffers sized for the announced 512 MB would be 10 GB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(parsers[19].pendingBytes).toBe(1000);
  });

  it('gives command names byte for byte, whatever names it saw before (names it keeps by slot)', () => {
    // Names of one length with the same first and last bytes share a slot; case and bytes
    // past latin1 letters must still come out as sent, first arguments only.
    const names = ['get', 'GET', 'gEt', 'gxt', 'g\x00t', 'g\xfft', '', 'x', 'set', 'SET', 'a'.repeat(24), 'a'.repeat(25), 'b'.repeat(24)];
    const cmds = fc.sample(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }), { numRuns: 300, seed: 11 });
    const input = Buffer.concat(cmds.map((argv) => encodeCommand(argv)));
    expect(parseChunks([input]).commands).toEqual(cmds);
  });

  it('gives short arguments (made without latin1Slice up to 8 bytes) byte for byte', () => {
    // Every length from 0 to 9 with bytes from the whole 0-255 range, NUL, CR and LF among them.
    const args = Array.from({ length: 10 }, (_, len) => Array.from({ length: len }, (_, i) => String.fromCharCode((len * 37 + i * 101) % 256)).join(''));
    const cmds = [['x', ...args], ['x', '\x00\r\n\xff', '\x80', '\xff'.repeat(8)]];
    expect(parseChunks([Buffer.concat(cmds.map((argv) => encodeCommand(argv)))]).commands).toEqual(cmds);
  });

  it('reports the bytes of an incomplete command as pending', () => {
    const p = new RespParser();
    p.feed(bytes('*2\r\n$3\r\nGET\r\n$10\r\nabc'));
    expect(p.next()).toBeNull();
    expect(p.pendingBytes).toBe(3);
    p.feed(bytes('defghij\r\n'));
    expect(p.next()).toEqual(['GET', 'abcdefghij']);
    expect(p.pendingBytes).toBe(0);
    p.feed(bytes('PIN'));
    expect(p.next()).toBeNull();
    expect(p.pendingBytes).toBe(3);
  });
});

describe('RespParser: protocol errors and limits (as networking.c)', () => {
  const cases: [string, string, string[][]][] = [
    ['*abc\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*2147483648\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*01\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*+1\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*1 \r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*-9223372036854775809\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*99999999999999999999\r\n', 'ERR Protocol error: invalid multibulk length', []],
    ['*3\r\n$x\r\n', 'ERR Protocol error: invalid bulk length', []],
    ['*1\r\n$-1\r\n', 'ERR Protocol error: invalid bulk length', []],
    ['*1\r\n$-0\r\n', 'ERR Protocol error: invalid bulk length', []],
    ['*1\r\nx\r\n', "ERR Protocol error: expected '$', got 'x'", []],
    ['*1\r\n\r\n', "ERR Protocol error: expected '$', got ' '", []],
    ['*1\r\n\n\r\n', "ERR Protocol error: expected '$', got ' '", []],
    ['*1\r\n\xff\r\n', "ERR Protocol error: expected '$', got '\xff'", []],
    ['SET a "b\r\n', 'ERR Protocol error: unbalanced quotes in request', []],
    ["SET a 'b\r\n", 'ERR Protocol error: unbalanced quotes in request', []],
    ['SET a "b"c\r\n', 'ERR Protocol error: unbalanced quotes in request', []],
    ['PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\nPING\r\n', 'ERR Protocol error: invalid multibulk length', [['PING'], ['PING']]],
  ];
  it.each(cases)('%j -> %s', (input, error, commands) => {
    expect(parse(input)).toEqual({ commands, error });
  });

  /** redis-server's string2ll: canonical decimal within the signed 64-bit range. */
  const string2ll = (s: string): bigint | null => {
    if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length > 20) return null;
    const n = BigInt(s);
    return n >= -(2n ** 63n) && n < 2n ** 63n ? n : null;
  };
  const countText = fc.oneof(
    fc.stringMatching(/^-?[0-9]{0,21}$/),
    fc.constantFrom('0', '00', '-0', '+1', ' 1', '1 ', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '2147483647', '2147483648', '536870912', '536870913', '999999999999999', '1000000000000000', '0001'),
  );

  it('reads *N exactly as string2ll and the INT_MAX check do (fast-check)', () => {
    fc.assert(
      fc.property(countText, (text) => {
        const n = string2ll(text);
        const got = parse('*' + text + '\r\nPING\r\n');
        if (n === null || n > 2147483647n) expect(got).toEqual({ commands: [], error: 'ERR Protocol error: invalid multibulk length' });
        else if (n <= 0n) expect(got).toEqual({ commands: [['PING']], error: null });
        else expect(got).toEqual({ commands: [], error: "ERR Protocol error: expected '$', got 'P'" });
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('reads $N exactly as string2ll and proto-max-bulk-len do (fast-check)', () => {
    fc.assert(
      fc.property(countText, (text) => {
        const n = string2ll(text);
        const small = n !== null && n >= 0n && n <= 20n;
        const got = parse('*2\r\n$4\r\nECHO\r\n$' + text + '\r\n' + (small ? 'y'.repeat(Number(n)) + '\r\n' : ''));
        if (n === null || n < 0n || n > 536870912n) expect(got).toEqual({ commands: [], error: 'ERR Protocol error: invalid bulk length' });
        else if (small) expect(got).toEqual({ commands: [['ECHO', 'y'.repeat(Number(n))]], error: null });
        else expect(got).toEqual({ commands: [], error: null });
      }),
      { seed: 12, numRuns: 2000 },
    );
  });

  it('ignores *0 and negative counts down to -2^63 (string2ll range)', () => {
    expect(parse('*0\r\n*-1\r\n*-2147483649\r\n*-9223372036854775808\r\nPING\r\n')).toEqual({ commands: [['PING']], error: null });
  });

  it('waits for the bulks of a huge but valid count instead of failing', () => {
    expect(parse('*2147483647\r\n$4\r\nPING\r\n')).toEqual({ commands: [], error: null });
  });

  it('does not check the byte after \\r (redis-server skips two bytes blindly)', () => {
    expect(parse('*1\rX$4\rYPING\r\n')).toEqual({ commands: [['PING']], error: null });
  });

  it('treats a NUL before the line end as "no line yet", like strchr in redis-server', () => {
    for (const input of ['PING\0\r\n', 'GET a\0b\r\n', '*\0\r\n', '*1\0\r\n', '*1\r\n$\0\r\n', '*1\r\n\0\r\n', '*1\r\nx\0\r\n']) {
      expect(parse(input), JSON.stringify(input)).toEqual({ commands: [], error: null });
    }
    // ...until the unfinished line passes 64 KB.
    expect(parse('PING\0' + 'x'.repeat(PROTO_INLINE_MAX_SIZE) + '\r\n').error).toBe('ERR Protocol error: too big inline request');
    expect(parse('*1\0' + 'x'.repeat(PROTO_INLINE_MAX_SIZE) + '\r\n').error).toBe('ERR Protocol error: too big mbulk count string');
    expect(parse('*1\r\n$\0' + 'x'.repeat(PROTO_INLINE_MAX_SIZE) + '\r\n').error).toBe('ERR Protocol error: too big bulk count string');
    // NUL inside bulk data is just data.
    expect(parse(encodeCommand(['ECHO', '\0\r\n\0'])).commands).toEqual([['ECHO', '\0\r\n\0']]);
  });

  it('limits lines without a line end to 64 KB, counting all unread input', () => {
    const justFits = 'x'.repeat(PROTO_INLINE_MAX_SIZE);
    expect(parse(justFits)).toEqual({ commands: [], error: null });
    expect(parse(justFits + 'x').error).toBe('ERR Protocol error: too big inline request');
    expect(parse('*' + '1'.repeat(PROTO_INLINE_MAX_SIZE - 1))).toEqual({ commands: [], error: null });
    expect(parse('*' + '1'.repeat(PROTO_INLINE_MAX_SIZE)).error).toBe('ERR Protocol error: too big mbulk count string');
    expect(parse('*1\r\n$' + '1'.repeat(PROTO_INLINE_MAX_SIZE + 1)).error).toBe('ERR Protocol error: too big bulk count string');
    // A long line that does end is judged by its content instead.
    expect(parse('*' + '1'.repeat(PROTO_INLINE_MAX_SIZE + 1) + '\r\n').error).toBe('ERR Protocol error: invalid multibulk length');
    const longInline = parse('ECHO ' + 'y'.repeat(200_000) + '\r\n');
    expect(longInline.commands[0][1].length).toBe(200_000);
    // The same limit, reached byte by byte.
    expect(parseChunks(everyByte(bytes('x'.repeat(PROTO_INLINE_MAX_SIZE + 1)))).error).toBe('ERR Protocol error: too big inline request');
  });

  it('applies proto-max-bulk-len', () => {
    const small = (p: RespParser) => (p.maxBulkLen = 1024 * 1024);
    expect(parse('*2\r\n$4\r\nECHO\r\n$1048576\r\n', small)).toEqual({ commands: [], error: null });
    expect(parse('*2\r\n$4\r\nECHO\r\n$1048577\r\n', small).error).toBe('ERR Protocol error: invalid bulk length');
  });

  it('applies the limits for unauthenticated clients (10 arguments, 16 KB bulks)', () => {
    const unauth = (p: RespParser) => (p.unauthenticated = true);
    expect(parse(encodeCommand(new Array(10).fill('a')), unauth).commands.length).toBe(1);
    expect(parse(encodeCommand(new Array(11).fill('a')), unauth).error).toBe('ERR Protocol error: unauthenticated multibulk length');
    expect(parse(encodeCommand(['AUTH', 'x'.repeat(16384)]), unauth).commands.length).toBe(1);
    expect(parse(encodeCommand(['AUTH', 'x'.repeat(16385)]), unauth).error).toBe('ERR Protocol error: unauthenticated bulk length');
    // Inline requests are bounded by the 64 KB line limit alone.
    expect(parse('A B C D E F G H I J K L\r\n', unauth).commands[0].length).toBe(12);
  });

  it('yields nothing more after an error, whatever is fed next', () => {
    const p = new RespParser();
    p.feed(bytes('*x\r\n'));
    expect(p.next()).toBeNull();
    p.feed(bytes('PING\r\n'));
    expect(p.next()).toBeNull();
    expect(p.error).toBe('ERR Protocol error: invalid multibulk length');
  });
});

describe('splitArgs (sdssplitargs)', () => {
  const cases: [string, string[] | null][] = [
    ['', []],
    ['   \t ', []],
    ['set a b', ['set', 'a', 'b']],
    ['  set\ta\t\tb  ', ['set', 'a', 'b']],
    ['"a b" c', ['a b', 'c']],
    ['"\\x41\\x4a\\x4A" "\\x4" "\\xzz"', ['AJJ', 'x4', 'xzz']],
    ['"\\n\\r\\t\\b\\a\\\\\\"\\q"', ['\n\r\t\b\x07\\"q']],
    ["'a\\'b' 'c\\nd'", ["a'b", 'c\\nd']],
    ['a"b c"d', null], // a closing quote must be followed by a space
    ['a"b c" d', ['ab c', 'd']],
    ['"a"', ['a']],
    ['""', ['']],
    ["''", ['']],
    ['"unterminated', null],
    ["'unterminated", null],
    ['"ends with backslash\\', null],
    ['x\vy', ['x\vy']], // \v and \f separate words only between them, not inside one
    ['\vx\f', ['x\f']],
    ['a\0b c', ['a']], // a C string ends at NUL
    ['caf\xe9 \xff', ['caf\xe9', '\xff']],
  ];
  it.each(cases)('%j -> %j', (line, expected) => {
    expect(splitArgs(line)).toEqual(expected);
  });
});

describe.skipIf(!hasRedisServer())('inline commands vs redis-server', () => {
  const redis = suiteRedis();

  /**
   * What redis-server makes of `RPUSH l <tail>` sent inline: the pushed arguments
   * (read back with LRANGE), or the protocol error it closes the connection with.
   */
  async function redisSplit(client: RawClient, tail: string): Promise<string[] | string> {
    client.write('RPUSH l ' + tail + '\r\n');
    const pushed = await client.read();
    const v = pushed.value;
    if (typeof v === 'object' && v !== null && 'error' in v) return v.error;
    const range = await client.call('LRANGE', 'l', '0', '-1');
    await client.call('DEL', 'l');
    return range.value as string[];
  }

  const alphabet = ['a', 'b', 'x', '4', 'f', 'G', ' ', ' ', '\t', '\v', '\f', '\r', '"', '"', "'", "'", '\\', '\\', 'n', 't', '\xe9', '\xff', '\x01'];

  it('splits random quoted and escaped lines exactly as redis-server does', async () => {
    const lines = fc.sample(
      fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 24 }).map((chars) => 'k' + chars.join('')),
      { seed: 42, numRuns: 300 },
    );
    lines.push('"a b" \'c d\' "\\x41\\x4" e\\"f', "'it\\'s' \"tab\\there\"", 'a"b c"d');
    let client = await RawClient.connect(redis.port);
    let rejected = 0;
    let split = 0;
    for (const tail of lines) {
      const ours = splitArgs('RPUSH l ' + tail);
      const theirs = await redisSplit(client, tail);
      if (typeof theirs === 'string') {
        if (theirs.startsWith('ERR Protocol error')) {
          expect(ours, JSON.stringify(tail)).toBeNull();
          rejected++;
          await client.waitClosed();
          client = await RawClient.connect(redis.port);
        } else {
          // RPUSH l with no values: arity error from a successful split.
          expect(ours?.length, JSON.stringify(tail)).toBe(2);
        }
      } else {
        expect(ours?.slice(2), JSON.stringify(tail)).toEqual(theirs);
        split++;
      }
    }
    client.close();
    // Both outcomes must have been exercised for the comparison to mean something.
    expect(rejected).toBeGreaterThan(20);
    expect(split).toBeGreaterThan(20);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
