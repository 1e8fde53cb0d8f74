/**
 * EVALSHA for the benchmarks (run.ts, script-cpu.ts): loaded with SCRIPT LOAD, then run
 * by redis-benchmark without pipelining and at -P 16.
 * - `evalsha_bullmq`: a job-adding script shaped like BullMQ's addStandardJob (about 60
 *   lines, 8 commands: a counter, a job hash, the wait list, the events stream trimmed
 *   by MAXLEN, metadata reads, string building and cmsgpack), with a random payload.
 * - `evalsha`: a one-command script (SET of a random key), what any script pays.
 */
import { RawClient } from '../harness/raw.js';
import type { BenchWorkload } from './stream-workloads.js';

type RedisBenchmark = (name: string, spec: string[], pipeline: number, requests: number, clients?: number) => BenchWorkload;

const BULLMQ_KEYS = ['bench:q:wait', 'bench:q:events', 'bench:q:id', 'bench:q:meta', 'bench:q:opts'];

const ADD_JOB_SCRIPT = `
local waitKey, eventsKey, idKey, metaKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name, data, timestamp = ARGV[1], ARGV[2], tonumber(ARGV[3])
local opts = cmsgpack.unpack(redis.call('GET', KEYS[5]))
local maxEvents = redis.call('HGET', metaKey, 'opts.maxLenEvents') or 10000
local jobCounter = redis.call('INCR', idKey)
local jobId = tostring(jobCounter)
local prefix = string.sub(waitKey, 1, -5)
local jobIdKey = prefix .. jobId
if redis.call('EXISTS', jobIdKey) == 1 then
  return redis.error_reply('ERR job exists')
end
local delay = opts['delay'] or 0
local priority = opts['priority'] or 0
local attempts = opts['attempts'] or 1
local fields = {
  'name', name,
  'data', data,
  'opts', cjson.encode(opts),
  'timestamp', timestamp,
  'delay', delay,
  'priority', priority,
  'atm', attempts,
}
redis.call('HMSET', jobIdKey, unpack(fields))
redis.call('XADD', eventsKey, 'MAXLEN', '~', maxEvents, '*', 'event', 'added', 'jobId', jobId, 'name', name)
local paused = redis.call('HEXISTS', metaKey, 'paused') == 1
local target = waitKey
if paused then
  target = prefix .. 'paused'
end
local pushCmd = 'LPUSH'
if opts['lifo'] then
  pushCmd = 'RPUSH'
end
redis.call(pushCmd, target, jobId)
local length = redis.call('LLEN', target)
if length % 1000 == 0 then
  redis.call('LTRIM', target, 0, 100000)
end
redis.call('XADD', eventsKey, 'MAXLEN', '~', maxEvents, '*', 'event', 'waiting', 'jobId', jobId)
return jobId
`;

/**
 * The options BullMQ packs with msgpack: BullMQ passes them as an argument, read here
 * from a key (a command line that redis-benchmark is given cannot hold these bytes).
 */
const PACKED_OPTS = Buffer.from([0x83, 0xa8, 0x61, 0x74, 0x74, 0x65, 0x6d, 0x70, 0x74, 0x73, 0x03, 0xa5, 0x64, 0x65, 0x6c, 0x61, 0x79, 0x00, 0xa4, 0x6c, 0x69, 0x66, 0x6f, 0xc2]);

/** A script benchmark case: its body, the EVALSHA arguments after the SHA, what it needs beforehand. */
export interface ScriptCase {
  name: string;
  test: string;
  script: string;
  /** numkeys, the keys and the arguments (redis-benchmark's __rand_int__ allowed). */
  args: string[];
  prepare(c: RawClient): Promise<void>;
}

export const SCRIPT_CASES: ScriptCase[] = [
  {
    name: 'evalsha_bullmq',
    test: 'EVALSHA (BullMQ-sized add-job script)',
    script: ADD_JOB_SCRIPT,
    args: [String(BULLMQ_KEYS.length), ...BULLMQ_KEYS, 'job', 'payload:__rand_int__', '1700000000000'],
    prepare: async (c) => {
      await c.call('DEL', ...BULLMQ_KEYS);
      await c.call('SET', 'bench:q:opts', PACKED_OPTS);
    },
  },
  {
    name: 'evalsha',
    test: 'EVALSHA (one SET)',
    script: "return redis.call('SET', KEYS[1], ARGV[1])",
    args: ['1', 'bench:key:__rand_int__', 'value'],
    prepare: async () => {},
  },
];

/** Prepares `c`'s server for a case and loads its script; its SHA. */
export async function loadScriptCase(c: RawClient, scriptCase: ScriptCase): Promise<string> {
  await scriptCase.prepare(c);
  return (await c.call('SCRIPT', 'LOAD', scriptCase.script)).value as string;
}

export function scriptWorkloads(redisBenchmark: RedisBenchmark, requests: { 1: number; 16: number }): BenchWorkload[] {
  return SCRIPT_CASES.flatMap((scriptCase) =>
    ([1, 16] as const).map((pipeline) => {
      // A placeholder SHA until SCRIPT LOAD gives the real one (the same on both servers).
      const workload = (sha: string): BenchWorkload => redisBenchmark(scriptCase.name, ['-r', '1000000', 'EVALSHA', sha, ...scriptCase.args], pipeline, requests[pipeline] / 2);
      return {
        ...workload(''),
        async run(port: number, scale: number) {
          const c = await RawClient.connect(port);
          try {
            const sha = await loadScriptCase(c, scriptCase);
            const measured = await workload(sha).run(port, scale);
            await c.call('FLUSHALL');
            return measured.map((m) => ({ ...m, test: scriptCase.test }));
          } finally {
            c.close();
          }
        },
      };
    }),
  );
}
