/**
 * The AOF's pending bytes: effects encoded straight into a Buffer must read back as
 * the same commands (the AOF reader parses them), whatever the argument sizes, across
 * growth of the buffer and partial consumption after a short write.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EffectEncoder, readCommand, RespBuffer } from '../../broker/persistence/aof/resp-log.js';

/** Latin1 strings (one char per byte), from empty to past the short-argument loop and the initial capacity. */
const arg = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.integer({ min: 0, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

function readAll(bytes: Buffer): string[][] {
  const out: string[][] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const cmd = readCommand(bytes, pos, 0);
    if (cmd === null) throw new Error(`incomplete command at ${pos}`);
    out.push(Array.isArray(cmd.argv) ? cmd.argv : cmd.argv.args.map((a) => (typeof a === 'string' ? a : a.latin1Slice())));
    pos = cmd.end;
  }
  return out;
}

describe('RespBuffer', () => {
  it('encodes commands that read back unchanged, across growth', () => {
    fc.assert(
      fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 12 }), { maxLength: 20 }), (commands) => {
        const out = new RespBuffer(16);
        for (const argv of commands) out.command(argv);
        expect(readAll(out.bytes.subarray(0, out.length))).toEqual(commands);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the bytes after a partial consume, in order', () => {
    const out = new RespBuffer(8);
    out.command(['SET', 'k', 'v1']);
    const first = out.length;
    out.command(['LPUSH', 'list', 'a'.repeat(100)]);
    out.consume(first);
    expect(readAll(out.bytes.subarray(0, out.length))).toEqual([['LPUSH', 'list', 'a'.repeat(100)]]);
    out.consume(out.length);
    expect(out.length).toBe(0);
  });

  it('wraps a unit of several effects in MULTI/EXEC and SELECTs a changed db', () => {
    const encoder = new EffectEncoder();
    const out = new RespBuffer();
    encoder.encode([{ db: 0, argv: ['SET', 'a', '1'] }], out);
    encoder.encode(
      [
        { db: 3, argv: ['DEL', 'b'] },
        { db: 3, argv: ['INCR', 'c'] },
      ],
      out,
    );
    expect(readAll(out.bytes.subarray(0, out.length))).toEqual([
      ['SELECT', '0'],
      ['SET', 'a', '1'],
      ['MULTI'],
      ['SELECT', '3'],
      ['DEL', 'b'],
      ['INCR', 'c'],
      ['EXEC'],
    ]);
  });
});
