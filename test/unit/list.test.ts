/**
 * The list data structure without a server: the chunked deque against a plain array
 * model under random pushes, pops, inserts, sets, removals and trims, with reads by
 * index and by cursor in both directions, plus the shape it keeps (chunks stay full
 * enough that walks stay short) and the seconds-timeout parser of blocking commands.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { List } from '../../engine/types/list.js';
import { parseSecondsTimeout } from '../../engine/util/timeout.js';
import { TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT } from '../../engine/errors.js';

type Op =
  | { kind: 'push'; head: boolean; values: string[] }
  | { kind: 'pop'; head: boolean; n: number }
  | { kind: 'insert'; at: number; value: string }
  | { kind: 'set'; at: number; value: string }
  | { kind: 'remove'; value: string; limit: number; fromTail: boolean }
  | { kind: 'trim'; front: number; back: number };

const value = fc.constantFrom('a', 'b', 'c', '', '\x00', '1');
/** A position as a fraction of the length, so positions land everywhere whatever the size. */
const fraction = fc.double({ min: 0, max: 1, noNaN: true });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), head: fc.boolean(), values: fc.array(value, { minLength: 1, maxLength: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pop' as const), head: fc.boolean(), n: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fraction, value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fraction, value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), value, limit: fc.integer({ min: 0, max: 50 }), fromTail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), front: fraction, back: fraction }) },
);

function apply(list: List, model: string[], o: Op): void {
  const index = (f: number, max: number): number => Math.min(max, Math.floor(f * (max + 1)));
  switch (o.kind) {
    case 'push':
      for (const v of o.values) {
        list.push(v, o.head);
        if (o.head) model.unshift(v);
        else model.push(v);
      }
      break;
    case 'pop':
      for (let i = 0; i < o.n; i++) expect(list.pop(o.head)).toBe(o.head ? model.shift() : model.pop());
      break;
    case 'insert': {
      const at = index(o.at, model.length);
      list.insert(at, o.value);
      model.splice(at, 0, o.value);
      break;
    }
    case 'set': {
      const at = index(o.at, model.length);
      expect(list.set(at, o.value)).toBe(at < model.length);
      if (at < model.length) model[at] = o.value;
      break;
    }
    case 'remove': {
      let left = o.limit === 0 ? Infinity : o.limit;
      const order = model.map((_, i) => i);
      if (o.fromTail) order.reverse();
      const drop = new Set<number>();
      for (const i of order) {
        if (left > 0 && model[i] === o.value) {
          drop.add(i);
          left--;
        }
      }
      expect(list.removeMatching(o.value, o.limit, o.fromTail)).toBe(drop.size);
      const kept = model.filter((_, i) => !drop.has(i));
      model.splice(0, model.length, ...kept);
      break;
    }
    case 'trim': {
      const front = index(o.front, model.length);
      const back = index(o.back, model.length - front);
      list.trim(front, back);
      model.splice(0, front);
      model.splice(model.length - back, back);
      break;
    }
  }
}

function check(list: List, model: string[]): void {
  expect(list.length).toBe(model.length);
  expect([...list.values()]).toEqual(model);
  for (const i of [0, 1, model.length >> 1, model.length - 2, model.length - 1]) {
    if (i >= 0 && i < model.length) expect(list.at(i)).toBe(model[i]);
  }
  expect(list.at(model.length)).toBeUndefined();
  expect(list.at(-1)).toBeUndefined();
  if (model.length > 0) {
    const from = model.length >> 1;
    const forward = list.cursor(from, false);
    for (let i = from; i < model.length; i++) expect(forward.next()).toBe(model[i]);
    expect(forward.next()).toBeUndefined();
    const backward = list.cursor(from, true);
    for (let i = from; i >= 0; i--) expect(backward.next()).toBe(model[i]);
    expect(backward.next()).toBeUndefined();
    const visited: string[] = [];
    list.visitRange(from >> 1, from, (values, start, end) => visited.push(...values.slice(start, end)));
    expect(visited).toEqual(model.slice(from >> 1, (from >> 1) + from));
  }
  // No empty chunks, and no more chunks than a packing at a quarter full would need.
  expect(list.chunkCount).toBeLessThanOrEqual(Math.max(1, Math.ceil(model.length / 32) * 2 + 2));
  if (model.length === 0) expect(list.chunkCount).toBe(0);
}

describe('List (chunked deque)', () => {
  it('behaves as an array under random operations', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const list = new List();
        const model: string[] = [];
        for (const o of ops) {
          apply(list, model, o);
          check(list, model);
        }
        const copy = list.clone();
        list.push('after-clone', true);
        expect([...copy.values()]).toEqual(model);
      }),
      { numRuns: 300, seed: 0x1157 },
    );
  });

  it('keeps push and pop at the ends cheap for long queues and stacks', () => {
    const list = new List();
    for (let i = 0; i < 200_000; i++) list.push(String(i), false);
    // FIFO: the consumed front must not pile up chunks or slots.
    for (let i = 0; i < 150_000; i++) {
      expect(list.pop(true)).toBe(String(i));
      list.push(String(200_000 + i), false);
    }
    expect(list.length).toBe(200_000);
    expect(list.chunkCount).toBeLessThanOrEqual(Math.ceil(200_000 / 128) + 1);
    expect(list.at(0)).toBe('150000');
    expect(list.at(199_999)).toBe('349999');
    // LPUSH-built lists fill their chunks too.
    const stack = new List();
    for (let i = 0; i < 100_000; i++) stack.push(String(i), true);
    expect(stack.chunkCount).toBeLessThanOrEqual(Math.ceil(100_000 / 128) + 1);
    expect(stack.at(0)).toBe('99999');
    expect(stack.at(99_999)).toBe('0');
  });

  it('splits full chunks on inserts in the middle and merges small ones after removals', () => {
    const list = new List();
    const model: string[] = [];
    for (let i = 0; i < 1000; i++) {
      list.push('x', false);
      model.push('x');
    }
    for (let i = 0; i < 2000; i++) {
      const at = (i * 7919) % (model.length + 1);
      list.insert(at, `v${i}`);
      model.splice(at, 0, `v${i}`);
    }
    expect([...list.values()]).toEqual(model);
    expect(list.removeMatching('x', 0, false)).toBe(1000);
    const kept = model.filter((v) => v !== 'x');
    expect([...list.values()]).toEqual(kept);
    expect(list.chunkCount).toBeLessThanOrEqual(Math.ceil(kept.length / 32) + 2);
    // Ranges across chunks of uneven sizes, as LRANGE visits them.
    for (const [start, n] of [[0, kept.length], [5, 300], [kept.length - 130, 130], [777, 1]]) {
      const visited: string[] = [];
      list.visitRange(start, n, (values, from, to) => visited.push(...values.slice(from, to)));
      expect(visited).toEqual(kept.slice(start, start + n));
    }
  });
});

describe('blocking timeouts in seconds (getTimeoutFromObjectOrReply)', () => {
  const now = 1_700_000_000_000;
  it('rounds the long double product up to whole milliseconds', () => {
    const cases: [string, number | string][] = [
      ['0', 0],
      ['1', 1000],
      ['0.5', 500],
      ['.5', 500],
      ['1e3', 1_000_000],
      ['+1', 1000],
      ['0x10', 16_000],
      ['0.0001', 1],
      ['0.001', 1],
      ['0.0019', 2],
      ['1e-320', 1],
      ['-0', 0],
      ['-0.0001', 0],
      // 0.001 as a long double times 1000 rounds to just above -1: ceil gives 0 (checked on redis-server).
      ['-0.001', 0],
      ['-0.003', TIMEOUT_NEGATIVE],
      ['-1', TIMEOUT_NEGATIVE],
      ['inf', TIMEOUT_NEGATIVE],
      ['-inf', TIMEOUT_NEGATIVE],
      ['1e30', TIMEOUT_NEGATIVE],
      ['9223372036854775.808', TIMEOUT_NEGATIVE],
      ['9300000000000000', TIMEOUT_NEGATIVE],
      // In range, but the deadline overflows int64: never fires, as redis-server.
      ['9223372036854775', 0],
      ['nan', TIMEOUT_NOT_FLOAT],
      ['x', TIMEOUT_NOT_FLOAT],
      ['', TIMEOUT_NOT_FLOAT],
      [' 1', TIMEOUT_NOT_FLOAT],
      ['1 ', TIMEOUT_NOT_FLOAT],
    ];
    for (const [arg, expected] of cases) expect(parseSecondsTimeout(arg, now), arg).toBe(expected);
  });
});
