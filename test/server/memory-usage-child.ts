/**
 * Run by memory-usage.test.ts as `node --expose-gc`: creates values of each type through
 * the engine's commands and prints, per case, how much the heap (and ArrayBuffer memory)
 * grew after a full GC, and what the memory accounting (MEMORY USAGE's figure, summed
 * over the keys made) says. Arguments are made as the parser makes them (fresh latin1
 * strings from bytes), so no string is shared with this script.
 */
import { Engine } from '../../engine/engine.js';
import { Client } from '../../engine/client.js';
import { CommandTable } from '../../engine/command.js';
import { engineCommands } from '../../engine/commands/index.js';
import { entryBytes } from '../../engine/memory.js';

const table = new CommandTable<Client>();
table.register(engineCommands);
const engine = new Engine({ databases: 16 });
const client = new Client(engine, 1);

/** A fresh one-byte string, as the parser's latin1Slice gives. */
const arg = (s: string): string => Buffer.from(s, 'latin1').latin1Slice();

function run(...argv: string[]): void {
  const line = argv.map(arg);
  const found = table.lookup(line);
  if (found.error !== undefined) throw new Error(`${argv.join(' ')}: ${found.error}`);
  engine.call(client, found.command, line);
  client.reply.take();
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const pad = (i: number, n: number): string => String(i).padStart(n, '0');

/** Each case: how many keys, and how to make key number i. */
const CASES: Record<string, { keys: number; make: (key: string, i: number) => void }> = {
  'string, 10 bytes': { keys: 20_000, make: (k, i) => run('SET', k, `value${pad(i, 5)}`) },
  'string, 1000 bytes': { keys: 5000, make: (k) => run('SET', k, 'x'.repeat(1000)) },
  'string with a TTL': { keys: 20_000, make: (k, i) => run('SET', k, `value${pad(i, 5)}`, 'EX', '10000') },
  'list, 100 elements': { keys: 500, make: (k) => run('RPUSH', k, ...Array.from({ length: 100 }, (_, j) => `element:${pad(j, 3)}`)) },
  'list, 10000 elements': { keys: 5, make: (k) => run('RPUSH', k, ...Array.from({ length: 10_000 }, (_, j) => `element:${pad(j, 5)}`)) },
  'hash, 50 fields (listpack)': { keys: 500, make: (k) => run('HSET', k, ...Array.from({ length: 50 }, (_, j) => [`f${j}`, `value:${j}`]).flat()) },
  'hash, 5000 fields': { keys: 5, make: (k) => run('HSET', k, ...Array.from({ length: 5000 }, (_, j) => [`field:${j}`, `value:${j}`]).flat()) },
  'set, 100 integers (intset)': { keys: 500, make: (k) => run('SADD', k, ...Array.from({ length: 100 }, (_, j) => String(j * 7))) },
  'set, 5000 members': { keys: 5, make: (k) => run('SADD', k, ...Array.from({ length: 5000 }, (_, j) => `member:${pad(j, 5)}`)) },
  'sorted set, 100 members': { keys: 500, make: (k) => run('ZADD', k, ...Array.from({ length: 100 }, (_, j) => [String(j), `member:${j}`]).flat()) },
  'sorted set, 5000 members': { keys: 5, make: (k) => run('ZADD', k, ...Array.from({ length: 5000 }, (_, j) => [String(j * 1.5), `member:${j}`]).flat()) },
  'stream, 100 entries': {
    keys: 500,
    make: (k) => {
      for (let j = 0; j < 100; j++) run('XADD', k, '*', 'field', `value:${j}`);
    },
  },
  'stream, 10000 entries, a group with 2000 pending': {
    keys: 3,
    make: (k) => {
      for (let j = 0; j < 10_000; j++) run('XADD', k, '*', 'user', `u${j % 97}`, 'action', 'clicked');
      run('XGROUP', 'CREATE', k, 'workers', '0');
      for (let c = 0; c < 4; c++) run('XREADGROUP', 'GROUP', 'workers', `consumer-${c}`, 'COUNT', '500', 'STREAMS', k, '>');
    },
  },
};

const results: { name: string; heap: number; accounted: number }[] = [];
for (const [name, { keys, make }] of Object.entries(CASES)) {
  // A first round warms up the code paths (compiled code and inline caches are heap too).
  for (let i = 0; i < Math.min(keys, 50); i++) make(`warm:${i}`, i);
  run('FLUSHALL');
  const before = collect();
  for (let i = 0; i < keys; i++) make(`key:${pad(i, 6)}`, i);
  const heap = collect() - before;
  let accounted = 0;
  for (const e of engine.dbs[0].entries()) accounted += entryBytes(e);
  results.push({ name, heap, accounted });
  run('FLUSHALL');
}
process.stdout.write(JSON.stringify(results));
