/**
 * The glob matcher: known cases, then thousands of random patterns whose results
 * must equal redis-server's (KEYS for the case-sensitive matcher, COMMAND LIST
 * FILTERBY PATTERN for the case-insensitive one).
 */
import { describe, expect, it } from 'vitest';
import { globMatch } from '../../engine/glob.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { suiteClient, suiteRedis } from '../harness/suite.js';
import { prng } from '../harness/prng.js';

function randomString(rand: () => number, alphabet: readonly string[], maxLen: number): string {
  let s = '';
  const len = Math.floor(rand() * (maxLen + 1));
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

describe('globMatch', () => {
  it('matches literals, ? and *', () => {
    expect(globMatch('hello', 'hello')).toBe(true);
    expect(globMatch('hello', 'hell')).toBe(false);
    expect(globMatch('h?llo', 'hallo')).toBe(true);
    expect(globMatch('h?llo', 'hllo')).toBe(false);
    expect(globMatch('h*llo', 'hllo')).toBe(true);
    expect(globMatch('h*llo', 'heeeello')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'a')).toBe(false);
    // redis-server 7.0 quirk: matching needs a character to start, so even "*" misses
    // "" (KEYS and SCAN special-case the pattern "*" before calling the matcher).
    expect(globMatch('*', '')).toBe(false);
    expect(globMatch('**', '')).toBe(false);
    expect(globMatch('a*', 'a')).toBe(true);
    expect(globMatch('a**', 'a')).toBe(true);
  });

  it('matches classes, ranges and negation', () => {
    expect(globMatch('h[ae]llo', 'hello')).toBe(true);
    expect(globMatch('h[ae]llo', 'hillo')).toBe(false);
    expect(globMatch('h[^e]llo', 'hallo')).toBe(true);
    expect(globMatch('h[^e]llo', 'hello')).toBe(false);
    expect(globMatch('h[a-b]llo', 'hbllo')).toBe(true);
    expect(globMatch('h[b-a]llo', 'hbllo')).toBe(true);
    expect(globMatch('[]]', ']')).toBe(false);
    // Unterminated: the class runs to the end and its last character is a member.
    expect(globMatch('[ab', 'a')).toBe(true);
    expect(globMatch('[ab', 'b')).toBe(true);
    expect(globMatch('[', '[')).toBe(false);
    expect(globMatch('[^', 'x')).toBe(true);
  });

  it('handles escapes', () => {
    expect(globMatch('h\\*llo', 'h*llo')).toBe(true);
    expect(globMatch('h\\*llo', 'hello')).toBe(false);
    expect(globMatch('\\', '\\')).toBe(true);
    expect(globMatch('[\\]]', ']')).toBe(true);
    expect(globMatch('a\\', 'a\\')).toBe(true);
  });

  it('compares range bounds as signed chars', () => {
    expect(globMatch('[\x80-\xff]', '\x90')).toBe(true);
    // 'a'..\xff swaps to -1..97: \xff and '0' inside, 'b' and \x80 outside.
    expect(globMatch('[a-\xff]', '\xff')).toBe(true);
    expect(globMatch('[a-\xff]', '0')).toBe(true);
    expect(globMatch('[a-\xff]', 'b')).toBe(false);
    expect(globMatch('[a-\xff]', '\x80')).toBe(false);
  });

  it('ignores ASCII case only when asked', () => {
    expect(globMatch('HeLLo', 'hello', true)).toBe(true);
    expect(globMatch('HeLLo', 'hello')).toBe(false);
    expect(globMatch('[A-C]x', 'bx', true)).toBe(true);
    expect(globMatch('\xc0', '\xe0', true)).toBe(false);
  });

  it('stays fast on abusive patterns and gives up past 1000 nested stars', () => {
    const s = 'a'.repeat(10000);
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', s)).toBe(false);
    expect(globMatch('a*'.repeat(999) + 'a', s)).toBe(true);
    expect(globMatch('a*'.repeat(1001) + 'a', s)).toBe(false);
  });
});

describe.skipIf(!hasRedisServer())('globMatch vs redis-server', () => {
  const server = suiteRedis();
  const client = suiteClient(server);

  it('agrees with KEYS on random patterns (case-sensitive)', async () => {
    const rand = prng(20240601);
    const keyAlphabet = ['a', 'b', 'B', 'c', '-', '[', ']', '^', '\\', '*', '?', '\x00', '\x80', '\xff', '0'];
    const patternAlphabet = [...keyAlphabet, '*', '?', '[', ']', '\\', '-', '^', '*'];
    const keys = new Set<string>();
    while (keys.size < 400) keys.add(randomString(rand, keyAlphabet, 6));
    for (const k of keys) await client.call('SET', k, '1');
    const all = [...keys];
    for (let i = 0; i < 3000; i++) {
      const pattern = randomString(rand, patternAlphabet, 8);
      const ref = ((await client.call('KEYS', pattern)).value as string[]).sort();
      // KEYS answers "*" without the matcher.
      const ours = all.filter((k) => pattern === '*' || globMatch(pattern, k)).sort();
      expect(ours, `KEYS ${JSON.stringify(pattern)}`).toEqual(ref);
    }
    // Long patterns around the nesting limit.
    await client.call('SET', 'a'.repeat(1500), '1');
    for (const n of [999, 1000, 1001, 1002]) {
      const pattern = 'a*'.repeat(n);
      const ref = (await client.call('KEYS', pattern)).value as string[];
      expect(ref.includes('a'.repeat(1500))).toBe(globMatch(pattern, 'a'.repeat(1500)));
    }
  });

  it('agrees with COMMAND LIST FILTERBY PATTERN on random patterns (case-insensitive)', async () => {
    const rand = prng(7);
    const all = (await client.call('COMMAND', 'LIST')).value as string[];
    const alphabet = ['a', 'E', 'm', 'x', 'R', 'o', 'L', '|', '*', '?', '[', ']', '^', '\\', 'A-Z', 'a-e', 'M-p', 'Z-a', '*'];
    for (let i = 0; i < 1500; i++) {
      const pattern = randomString(rand, alphabet, 6);
      const ref = ((await client.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', pattern)).value as string[]).sort();
      const ours = all.filter((name) => globMatch(pattern, name, true)).sort();
      expect(ours, `COMMAND LIST FILTERBY PATTERN ${JSON.stringify(pattern)}`).toEqual(ref);
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
