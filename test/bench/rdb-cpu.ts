#!/usr/bin/env node
/**
 * Benchmark: the CPU time of the RDB writer and reader in-process, without sockets,
 * files or the neighbours' load in the figures (process.cpuUsage around repeated
 * runs, garbage collection included). The datasets of rdb-save-load.ts, built by the
 * engine's own commands:
 *   - a stream of `XADD s * field value-<i>`, with a consumer group holding a tenth of
 *     it pending (XREADGROUP COUNT 1000);
 *   - string keys (`SET key:<i> value:<i>`).
 * Each is saved at once (`snapshotBytes`: SAVE, DEBUG RELOAD), the first time (every
 * stream node encoded) and again (the nodes' kept listpacks copied: StreamNode.rdbEncoded),
 * saved live (`SnapshotWriter` in 5 ms slices with its CRC: BGSAVE, the AOF rewrite, a
 * full resync) and loaded (`loadSnapshot`), and loaded then every stream node decoded,
 * as the first reads of a whole stream would (a load checks the nodes but decodes only
 * each stream's last). rdb-save-load.ts has redis-server's figures.
 *
 *   npm run build && node --expose-gc dist/test/bench/rdb-cpu.js [entries] [runs]
 *
 * With --expose-gc each run starts from a collected heap, as a start-up load does:
 * without it, each load also pays for collecting the dataset of the one before.
 */
import { Client } from '../../engine/client.js';
import { CommandTable } from '../../engine/command.js';
import { engineCommands } from '../../engine/commands/index.js';
import { Engine } from '../../engine/engine.js';
import { loadSnapshot, snapshotBytes, SnapshotWriter } from '../../engine/persist/snapshot.js';
import { Stream } from '../../engine/types/stream.js';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 5);

function newEngine(): Engine {
  return new Engine({ databases: 16 });
}

/** Runs commands on `engine` as a client would, replies dropped. */
function commandRunner(engine: Engine): (argv: string[]) => void {
  const table = new CommandTable<Client>();
  table.register(engineCommands);
  const client = new Client(engine, 1);
  return (argv) => {
    const found = table.lookup(argv);
    if (found.error !== undefined) throw new Error(found.error);
    engine.call(client, found.command, argv);
    client.reply.take();
  };
}

function fillStream(engine: Engine): void {
  const run = commandRunner(engine);
  for (let i = 0; i < N; i++) run(['XADD', 's', '*', 'field', `value-${i}`]);
  run(['XGROUP', 'CREATE', 's', 'g', '0']);
  for (let i = 0; i < N / 10; i += 1000) run(['XREADGROUP', 'GROUP', 'g', 'consumer', 'COUNT', '1000', 'STREAMS', 's', '>']);
}

function fillStrings(engine: Engine): void {
  const run = commandRunner(engine);
  for (let i = 0; i < N; i++) run(['SET', `key:${i}`, `value:${i}`]);
}

/** Collects the garbage of the run before, outside the figures (with `node --expose-gc`). */
const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => {});

/** Milliseconds of CPU per run of `f`, over RUNS runs after one to warm up. */
function cpuMs(f: () => void): number {
  f();
  let total = 0;
  for (let i = 0; i < RUNS; i++) {
    collect();
    const before = process.cpuUsage();
    f();
    const used = process.cpuUsage(before);
    total += used.user + used.system;
  }
  return total / 1000 / RUNS;
}

/** A live snapshot as BGSAVE runs it: 5 ms slices, each followed by a drain. */
function liveSnapshot(engine: Engine): number {
  const writer = new SnapshotWriter(engine.dbs, Date.now());
  let bytes = 0;
  while (!writer.step(5)) bytes += writer.drain().length;
  bytes += writer.drain().length;
  return bytes + writer.finish().length;
}

/** Loads `bytes`, then decodes every stream node (reading an entry of each). */
function decodeAll(bytes: Buffer): void {
  const engine = newEngine();
  loadSnapshot(engine.dbs, bytes, { now: 0 });
  for (const e of engine.dbs[0].entries()) {
    if (e.value instanceof Stream) for (const node of e.value.view().nodes) node.idAt(0);
  }
}

function measure(name: string, fill: (engine: Engine) => void): void {
  const engine = newEngine();
  fill(engine);
  collect();
  const before = process.cpuUsage();
  let bytes = snapshotBytes(engine.dbs, Date.now());
  const used = process.cpuUsage(before);
  const first = (used.user + used.system) / 1000;
  const save = cpuMs(() => (bytes = snapshotBytes(engine.dbs, Date.now())));
  let liveBytes = 0;
  const live = cpuMs(() => (liveBytes = liveSnapshot(engine)));
  if (liveBytes !== bytes.length) throw new Error(`live snapshot of ${liveBytes} bytes, ${bytes.length} at once`);
  const load = cpuMs(() => loadSnapshot(newEngine().dbs, bytes, { now: 0 }));
  const decoded = cpuMs(() => decodeAll(bytes));
  const row = [
    `first save ${first.toFixed(0)} ms`,
    `save ${save.toFixed(0)} ms`,
    `live save ${live.toFixed(0)} ms`,
    `load ${load.toFixed(0)} ms`,
    `load and decode ${decoded.toFixed(0)} ms`,
    `file ${(bytes.length / 1e6).toFixed(1)} MB`,
  ];
  process.stdout.write(`${name}: ${row.join(', ')} (CPU per run, ${RUNS} runs)\n`);
}

measure(`${N.toLocaleString('en-US')}-entry stream, ${(N / 10).toLocaleString('en-US')} pending`, fillStream);
measure(`${N.toLocaleString('en-US')} string keys`, fillStrings);
