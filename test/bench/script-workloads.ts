/**
 * EVALSHA of a BullMQ-sized script for the benchmark (run.ts): a job-adding script
 * shaped like BullMQ's addStandardJob (about 60 lines, 8 commands: a counter, a job
 * hash, the wait list, the events stream trimmed by MAXLEN, metadata reads, string
 * building and cmsgpack), loaded with SCRIPT LOAD, then run by redis-benchmark with a
 * random payload field, without pipelining and at -P 16.
 */
import { RawClient } from '../harness/raw.js';
import type { BenchWorkload } from './stream-workloads.js';

type RedisBenchmark = (name: string, spec: string[], pipeline: number, requests: number, clients?: number) => BenchWorkload;

const KEYS = ['bench:q:wait', 'bench:q:events', 'bench:q:id', 'bench:q:meta', 'bench:q:opts'];

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

export function scriptWorkloads(redisBenchmark: RedisBenchmark, requests: { 1: number; 16: number }): BenchWorkload[] {
  return ([1, 16] as const).map((pipeline) => {
    // A placeholder SHA until SCRIPT LOAD gives the real one (the same on both servers).
    const workload = (sha: string): BenchWorkload =>
      redisBenchmark('evalsha_bullmq', ['-r', '1000000', 'EVALSHA', sha, String(KEYS.length), ...KEYS, 'job', 'payload:__rand_int__', '1700000000000'], pipeline, requests[pipeline] / 2);
    return {
      ...workload(''),
      async run(port: number, scale: number) {
        const c = await RawClient.connect(port);
        try {
          await c.call('DEL', ...KEYS);
          await c.call('SET', 'bench:q:opts', PACKED_OPTS);
          const sha = (await c.call('SCRIPT', 'LOAD', ADD_JOB_SCRIPT)).value as string;
          const measured = await workload(sha).run(port, scale);
          await c.call('FLUSHALL');
          return measured.map((m) => ({ ...m, test: 'EVALSHA (BullMQ-sized add-job script)' }));
        } finally {
          c.close();
        }
      },
    };
  });
}
