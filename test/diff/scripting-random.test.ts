/**
 * Random scripts (fast-check, seeded) run pipelined with EVAL on our broker and on
 * redis-server, every reply compared byte for byte, RESP2 and RESP3 callers: each
 * script is a few statements (redis.call and redis.pcall of writes and reads on a
 * small key alphabet, some of them failing on a key of the wrong type, redis.setresp,
 * number arithmetic and formatting) and a returned value (numbers whole and
 * fractional, strings, booleans, nil, tables with holes, {err=}/{ok=} tables, a
 * command's reply, or an error raised). Sequences end with DEBUG DIGEST; finally what
 * our broker propagated, replayed on a fresh redis-server, must rebuild the same dataset.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { effectsAsText, replayedDigest, type TextEffect } from '../harness/effects.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const key = fc.constantFrom("'a'", "'b'", "'l'", "'h'", "'z'", "'s'", 'KEYS[1]', 'KEYS[2]');
const text = fc.constantFrom("'x'", "''", "'1'", "'-2'", "'1.5'", "'a\\0b'", "'\\255'", 'ARGV[1]', 'ARGV[2]');
const number = fc.constantFrom('0', '1', '-1', '7', '2.5', '-0.5', '1e3', '1/3', '2^31', '2^53', '0x10', '1e20', '3 % 2', '7 / 2');

const call = fc.oneof(
  fc.tuple(key, text).map(([k, v]) => `'SET', ${k}, ${v}`),
  fc.tuple(key, number).map(([k, n]) => `'INCRBY', ${k}, ${n}`),
  fc.tuple(key, number).map(([k, n]) => `'INCRBYFLOAT', ${k}, ${n}`),
  fc.tuple(key, text).map(([k, v]) => `'RPUSH', ${k}, ${v}, 'y'`),
  fc.tuple(key, text, number).map(([k, f, v]) => `'HSET', ${k}, ${f}, ${v}`),
  fc.tuple(key, number, text).map(([k, s, m]) => `'ZADD', ${k}, ${s}, ${m}`),
  key.map((k) => `'GET', ${k}`),
  key.map((k) => `'LRANGE', ${k}, 0, -1`),
  key.map((k) => `'HGETALL', ${k}`),
  key.map((k) => `'ZRANGE', ${k}, 0, -1, 'WITHSCORES'`),
  fc.tuple(key, text).map(([k, m]) => `'ZSCORE', ${k}, ${m}`),
  key.map((k) => `'EXISTS', ${k}`),
  key.map((k) => `'TYPE', ${k}`),
  key.map((k) => `'DEL', ${k}`),
  fc.constant("'PING'"),
  fc.constant("'NOSUCH'"),
  fc.constant("'GET'"),
);

const statement = fc.oneof(
  { weight: 4, arbitrary: call.map((c) => `redis.call(${c})`) },
  { weight: 3, arbitrary: call.map((c) => `redis.pcall(${c})`) },
  fc.constantFrom('redis.setresp(3)', 'redis.setresp(2)', 'local t = {} t[3] = 1', 'local n = 0 for i = 1, 10 do n = n + i end'),
);

const value = fc.oneof(
  number,
  text,
  fc.constantFrom('true', 'false', 'nil', '{}', "{1, 2, nil, 4}", "{err='E x'}", "{ok='fine'}", "{double=1.5}", "{1, {2, {3, 'x'}}, false, true}"),
  number.map((n) => `tostring(${n})`),
  fc.tuple(number, number).map(([a, b]) => `${a} .. ' ' .. ${b}`),
  call.map((c) => `redis.pcall(${c})`),
  call.map((c) => `redis.call(${c})`),
  call.map((c) => `{redis.pcall(${c})}`),
  fc.constantFrom("error('boom')", 'error(42)', 'nosuch_global', "error({err='CUSTOM c'})", "cjson.encode({1, 'a', 2.5})", 'cmsgpack.pack({1, 2})'),
);

const script = fc.tuple(fc.array(statement, { maxLength: 5 }), value).map(([body, result]) => {
  const last = result.startsWith('error(') || result === 'nosuch_global' ? `local v = ${result}` : `return ${result}`;
  return [...body, last].join('\n');
});

describe.skipIf(!hasRedisServer())('random scripts vs redis-server', () => {
  const debug = ['--enable-debug-command', 'yes'];
  const { servers, p } = diffSuite({ ours: debug, ref: debug });
  const units: TextEffect[][] = [];
  beforeAll(() => {
    servers.ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
  });

  async function compare(scripts: string[], resp3: boolean): Promise<void> {
    const argvs = [['FLUSHALL'], ...scripts.map((s) => ['EVAL', s, '2', 'a', 'z', '3', 'v']), ['DEBUG', 'DIGEST']];
    if (resp3) await p.both('HELLO', '3');
    try {
      await p.samePipeline(argvs);
    } finally {
      if (resp3) await p.both('HELLO', '2');
    }
  }

  it('gives the same replies to 150 random sequences of scripts (RESP2 and RESP3 callers)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: 5, maxLength: 20 }), fc.boolean(), (scripts, resp3) => compare(scripts, resp3)),
      { numRuns: 150, seed: 0x10a },
    );
  });

  it('propagates effects that rebuild the same dataset on a fresh redis-server', async () => {
    expect(units.length).toBeGreaterThan(100);
    const ours = (await p.same('DEBUG', 'DIGEST')).raw.toString();
    expect(await replayedDigest(units, { multi: true })).toBe(ours);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
