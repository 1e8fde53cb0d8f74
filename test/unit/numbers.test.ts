/**
 * Exact number handling shared by commands: int64 parsing as redis-server's
 * string2ll and overflow-checked arithmetic, and x87 long double parsing, addition
 * and `%.17Lf` formatting. The long double vectors were produced by a C program
 * running redis-server's own string2ld/ld2string code against glibc on x86-64. And the
 * snapshot format's 64-bit integers.
 */
import { describe, expect, it } from 'vitest';
import { addInt64, INT64_MAX, INT64_MIN, mulInt64, negateInt64, parseInt64 } from '../../engine/util/int64.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../../engine/util/long-double.js';
import { parseDouble } from '../../engine/util/double.js';
import { ByteReader, ByteWriter } from '../../engine/persist/bytes.js';

describe('parseDouble (getDoubleFromObject)', () => {
  it('reads decimal integers (the fast path) as strtod does, leading zeros and -0 included', () => {
    expect(parseDouble('000000012345')).toBe(12345);
    expect(parseDouble('-7')).toBe(-7);
    expect(Object.is(parseDouble('-0'), -0)).toBe(true);
    expect(parseDouble('999999999999999')).toBe(999999999999999);
    expect(parseDouble('12345678901234567890')).toBe(12345678901234567890);
  });

  it('leaves everything else to the strtod rules', () => {
    expect(parseDouble('+5')).toBe(5);
    expect(parseDouble('1e3')).toBe(1000);
    expect(parseDouble('0x10')).toBe(16);
    expect(parseDouble('-inf')).toBe(-Infinity);
    for (const bad of ['', '-', ' 1', '1 ', '1-', 'nan', '1e400']) expect(parseDouble(bad)).toBeNull();
  });
});

describe('parseInt64 (string2ll)', () => {
  it('accepts canonical integers across the whole int64 range', () => {
    expect(parseInt64('0')).toBe(0);
    expect(parseInt64('7')).toBe(7);
    expect(parseInt64('-7')).toBe(-7);
    expect(parseInt64('123456789012345')).toBe(123456789012345);
    expect(parseInt64('9007199254740991')).toBe(9007199254740991);
    expect(parseInt64('-9007199254740991')).toBe(-9007199254740991);
    expect(parseInt64('9007199254740992')).toBe(9007199254740992n);
    expect(parseInt64('9223372036854775807')).toBe(INT64_MAX);
    expect(parseInt64('-9223372036854775808')).toBe(INT64_MIN);
  });

  it('keeps the representation canonical: numbers up to 2^53-1, bigints beyond', () => {
    expect(typeof parseInt64('1234567890123456')).toBe('number');
    expect(typeof parseInt64('-1234567890123456')).toBe('number');
    expect(typeof parseInt64('9007199254740993')).toBe('bigint');
  });

  it('rejects everything string2ll rejects', () => {
    for (const s of [
      '', '-', '+1', ' 1', '1 ', '01', '-0', '-01', '00', '1.0', '1e3', '0x10', 'abc', '1a', '\x001', '1\x00',
      '9223372036854775808', '-9223372036854775809', '18446744073709551616', '99999999999999999999',
      '000000000000000000001', '-0000000000000000001', '١',
    ]) {
      expect(parseInt64(s), JSON.stringify(s)).toBeNull();
    }
  });
});

describe('int64 arithmetic', () => {
  it('adds exactly and reports overflow', () => {
    expect(addInt64(1, 2)).toBe(3);
    expect(addInt64(9007199254740991, 1)).toBe(9007199254740992n);
    expect(addInt64(9007199254740992n, -1)).toBe(9007199254740991);
    expect(addInt64(INT64_MAX, -1)).toBe(9223372036854775806n);
    expect(addInt64(INT64_MAX, 1)).toBeNull();
    expect(addInt64(INT64_MIN, -1)).toBeNull();
    expect(addInt64(INT64_MIN, INT64_MAX)).toBe(-1);
  });

  it('multiplies exactly and reports overflow', () => {
    expect(mulInt64(9223372036854775n, 1000)).toBe(9223372036854775000n);
    expect(mulInt64(9223372036854776n, 1000)).toBeNull();
    expect(mulInt64(4503599627370496, 4)).toBe(18014398509481984n);
    expect(mulInt64(-3, 1000)).toBe(-3000);
  });

  it('negates, except INT64_MIN, and never yields -0', () => {
    expect(negateInt64(5)).toBe(-5);
    expect(Object.is(negateInt64(0), 0)).toBe(true);
    expect(negateInt64(INT64_MAX)).toBe(-INT64_MAX);
    expect(negateInt64(INT64_MIN)).toBeNull();
  });
});

/** INCRBYFLOAT's computation: "INVALID" for a parse error, "NANINF" for the overflow error. */
function incrbyfloat(value: string, incr: string): string {
  const a = parseLongDouble(value);
  const b = parseLongDouble(incr);
  if (a === null || b === null) return 'INVALID';
  const sum = addLongDouble(a, b);
  return sum === null ? 'NANINF' : formatLongDouble(sum);
}

/** 1e308 + 1e308 in long double: no overflow, and the exact binary value printed. */
const E308_TWICE =
  '199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096';

describe('long double (string2ld, +, ld2string human)', () => {
  it('matches glibc on sums that need more than double precision', () => {
    const vectors: [string, string, string][] = [
      ['0.1', '0.2', '0.3'],
      ['1.1', '2.2', '3.3'],
      ['10.50', '0.1', '10.6'],
      ['5.0e3', '2.0e2', '5200'],
      ['1e308', '1e308', E308_TWICE],
      ['-1e308', '1e308', '0'],
      ['9223372036854775807', '1', '9223372036854775808'],
      ['9223372036854775807', '-1', '9223372036854775806'],
      ['18446744073709551616', '1', '18446744073709551616'],
      ['36893488147419103232', '1', '36893488147419103232'],
      ['1.00000000000000000001', '0', '1'],
      ['0.30000000000000000001', '-0.1', '0.2'],
      ['1e20', '1e-20', '100000000000000000000'],
      ['-1e-20', '1e-20', '0'],
      ['4.5', '-4.5', '0'],
      ['12345678.123456789', '-12345678', '0.12345678899964696'],
      ['2e-4951', '16', '16'],
      ['0x.8', '0x.8', '1'],
      ['-0', '-0', '0'],
      ['-0', '0', '0'],
    ];
    for (const [a, b, expected] of vectors) expect(incrbyfloat(a, b), `${a} + ${b}`).toBe(expected);
  });

  it('formats with 17 fraction digits, rounding exact ties to even', () => {
    const vectors: [string, string][] = [
      ['3.0000000000000000001', '3'],
      ['0.1234567890123456789', '0.12345678901234568'],
      ['0.000000000000000005', '0'],
      ['0.000000000000000015', '0.00000000000000002'],
      ['0.000000000000000025', '0.00000000000000002'],
      ['-0.000000000000000001', '0'],
      ['3.814697265625e-06', '0.00000381469726562'],
      ['123456789012345678901234567890', '123456789012345678899921813504'],
      ['0x10', '16'],
      ['0X1P-3', '0.125'],
      ['0x1.8p1', '3'],
      ['.5', '0.5'],
      ['5.', '5'],
      ['+1.5e2', '150'],
      ['1e-4940', '0'],
    ];
    for (const [s, expected] of vectors) expect(incrbyfloat(s, '0'), s).toBe(expected);
  });

  it('reaches the largest finite value and overflows past it', () => {
    const max = (((1n << 64n) - 1n) << 16320n).toString();
    expect(incrbyfloat('0x1.fffffffffffffffep16383', '0')).toBe(max);
    expect(incrbyfloat('1.18973149535723176502e+4932', '0')).toBe(max);
    expect(incrbyfloat('1.18973149535723176508e+4932', '0')).toBe('INVALID');
    expect(incrbyfloat('0x1p16383', '0x1p16383')).toBe('NANINF');
    expect(incrbyfloat('1e4932', '0')).toHaveLength(4933);
  });

  it('rejects what string2ld rejects, and infinities when added', () => {
    for (const s of ['', ' 1', '1 ', '1e', '.', '-', '0x', '0x1p', 'infin', 'nan', 'NaN', '1e5000', '1e-5000', '1e-4952', '1\x00', 'x'.repeat(5200)]) {
      expect(incrbyfloat(s, '0'), JSON.stringify(s)).toBe('INVALID');
    }
    expect(incrbyfloat('inf', '1')).toBe('NANINF');
    expect(incrbyfloat('Infinity', '0')).toBe('NANINF');
    expect(incrbyfloat('inf', '-inf')).toBe('NANINF');
    expect(incrbyfloat('1' + '0'.repeat(5119), '0')).toBe('INVALID');
    expect(incrbyfloat('1' + '0'.repeat(4000), '-1' + '0'.repeat(4000))).toBe('0');
  });
});

describe('snapshot integers (persist/bytes.ts)', () => {
  it('write and read back int64 and uint64 values exactly, numbers and BigInts alike', () => {
    const int64s = [0, 1, -1, 42, -42, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, INT64_MAX, INT64_MIN, 2n ** 60n, -(2n ** 60n)];
    const uint64s = [0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 2n ** 64n - 1n, 2n ** 53n];
    const w = new ByteWriter();
    for (const v of int64s) w.i64(v);
    for (const v of uint64s) w.u64(v);
    const bytes = w.take();
    const r = new ByteReader(bytes);
    for (const v of int64s) expect(r.i64()).toEqual(typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    for (const v of uint64s) expect(r.u64()).toEqual(typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    // The same bytes as Node's own little-endian 64-bit writers.
    const expected = Buffer.alloc(8 * int64s.length);
    int64s.forEach((v, i) => expected.writeBigInt64LE(BigInt(v), 8 * i));
    expect(bytes.subarray(0, expected.length)).toEqual(expected);
  });

  it('append moves another writer\'s bytes in order, without copying them', () => {
    const big = 'b'.repeat(1_500_000);
    const a = new ByteWriter();
    const b = new ByteWriter();
    a.latin1('x');
    b.latin1('y');
    b.latin1(big);
    b.latin1('z');
    a.append(b);
    a.latin1('w');
    expect(b.length).toBe(0);
    expect(b.take().length).toBe(0);
    expect(a.length).toBe(big.length + 4);
    expect(a.take().toString('latin1')).toBe('xy' + big + 'zw');
  });

  it('take(max) gives the oldest full chunks first, then the rest', () => {
    const w = new ByteWriter();
    const chunk = 'c'.repeat(1 << 20);
    for (let i = 0; i < 5; i++) w.latin1(String(i) + chunk.slice(1));
    w.latin1('end');
    const pieces: string[] = [];
    while (w.length > 0) pieces.push(w.take(2 << 20).toString('latin1'));
    expect(pieces.join('')).toBe([0, 1, 2, 3, 4].map((i) => String(i) + chunk.slice(1)).join('') + 'end');
    expect(pieces.length).toBeGreaterThan(1);
  });
});
