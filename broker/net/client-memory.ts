/**
 * What each client costs in memory, and `maxmemory-clients`: when all normal and
 * pub/sub clients together use more, the biggest are disconnected until they fit, as
 * redis-server 7.0's evictClients does (CLIENT NO-EVICT exempts a client; replicas and
 * a primary's link are never evicted).
 *
 * A client's memory is redis-server's getClientMemoryUsage in this broker's terms: its
 * query buffer (input read but not yet run), the arguments of a command held back by
 * CLIENT PAUSE, the commands queued in MULTI, its unsent output (`Connection.outputBytes`)
 * and a fixed overhead. It is accounted after each command, read and write, so the totals
 * cost nothing to read (INFO, eviction).
 *
 * Deliberate difference: redis-server's default is 0 (no limit), and its process can hold
 * whatever the machine has. This one runs inside V8, whose heap has a hard limit, and
 * dies when it is exceeded: the default is a quarter of the smaller of V8's heap limit and
 * the memory the process may use (`DEFAULT_MAXMEMORY_CLIENTS`). `CONFIG SET
 * maxmemory-clients 0` still turns it off.
 */
import os from 'node:os';
import v8 from 'node:v8';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Connection } from './connection.js';
import { LargeCommand } from '../../protocol/parser.js';
import { clientInfoLine } from '../commands/client.js';

/** The fixed part of a client's memory (its own structures, counted in CLIENT LIST tot-mem). */
const CLIENT_OVERHEAD = 1024;

/** redis-server's floor under maxmemory-clients, so that a bad setting cannot cut everybody off. */
const MIN_LIMIT = 128 * 1024;

/** How often the output peaks of CLIENT LIST rbp start again (redis-server's reply buffer peak reset). */
const PEAK_RESET_SECONDS = 5;

/** How many one-second slots INFO's client_recent_max_* look back over (CLIENTS_PEAK_MEM_USAGE_SLOTS). */
const RECENT_SLOTS = 8;

/** A quarter of what this process may grow to: V8's heap limit, or less when the machine or cgroup has less. */
export function defaultClientsLimit(): number {
  const heap = v8.getHeapStatistics().heap_size_limit;
  const constrained = process.constrainedMemory?.() ?? 0;
  const machine = constrained > 0 ? Math.min(constrained, os.totalmem()) : os.totalmem();
  return Math.floor(Math.min(heap, machine) / 4);
}

/** Bytes of argument strings (one byte per char: ARCHITECTURE.md, "Bytes as latin1 strings") or Buffers. */
function argvBytes(argv: readonly (string | Buffer)[] | LargeCommand | null): number {
  let n = 0;
  if (argv !== null) for (const a of argv instanceof LargeCommand ? argv.args : argv) n += a.length;
  return n;
}

/** The bytes of a command line as a RESP multibulk: what it took in the input. */
function requestBytes(argv: readonly string[]): number {
  let n = 3 + String(argv.length).length;
  for (const a of argv) n += 5 + String(a.length).length + a.length;
  return n;
}

/** The parts of one client's memory, as CLIENT LIST shows them. */
export interface ClientMemoryUsage {
  qbuf: number;
  qbufFree: number;
  argvMem: number;
  multiMem: number;
  output: number;
  total: number;
}

/**
 * `running` is the argv of the command executing for `c`, if any: like redis-server,
 * the caller's query buffer still holds that command, and its arguments count in
 * argv-mem, as do those of a command waiting (blocked, or held by CLIENT PAUSE).
 */
export function clientMemoryUsage(c: Connection, running: readonly string[] | null = null): ClientMemoryUsage {
  const qbuf = c.queryBufferBytes + (running === null ? 0 : requestBytes(running));
  const qbufFree = c.parser.reservedBytes;
  const waiting = running ?? c.blockedArgs ?? c.heldCommand;
  const argvMem = waiting === null ? c.parser.argsBytesSoFar : argvBytes(waiting);
  const multiMem = c.multi?.argvBytes ?? 0;
  const output = c.outputBytes;
  return { qbuf, qbufFree, argvMem, multiMem, output, total: qbuf + qbufFree + argvMem + multiMem + output + CLIENT_OVERHEAD };
}

/** `clientMemoryUsage(c).total` without making the parts, given the output: accounting runs it per command. */
function clientMemoryTotal(c: Connection, output: number): number {
  const waiting = c.blockedArgs ?? c.heldCommand;
  const multi = c.multi;
  const input = c.queryBufferBytes + c.parser.reservedBytes;
  return input + (waiting === null ? 0 : argvBytes(waiting)) + (multi === null ? 0 : multi.argvBytes) + output + CLIENT_OVERHEAD;
}

/**
 * Which INFO memory total a client counts in (an index into `totals`); only NORMAL
 * ones may be evicted. UNACCOUNTED marks a client not accounted yet.
 */
const NORMAL = 0;
const PRIMARY = 1;
const REPLICA = 2;
export const UNACCOUNTED = -1;

function memoryClass(c: Connection): number {
  if (c.kind === 'replica' && !c.monitor) return REPLICA;
  return c.kind === 'master' ? PRIMARY : NORMAL;
}

export class ClientMemory {
  /** Clients disconnected by maxmemory-clients (INFO evicted_clients). */
  evicted = 0;
  /** Bytes accounted per class (NORMAL, PRIMARY, REPLICA). */
  private readonly totals = [0, 0, 0];
  /**
   * The clients accounted; what each was last accounted at, and in which total, is
   * kept on the connection (`accountedBytes`, `accountedClass`): a map lookup per
   * update cost the hot path.
   */
  private readonly accounted = new Set<Connection>();
  private limit = 0;
  /**
   * client-query-buffer-limit, kept current here because a connection checks it on
   * every read: a config lookup and a number parse per read cost the hot path.
   */
  queryBufferLimit = 0;
  private readonly recentInput: number[] = new Array<number>(RECENT_SLOTS).fill(0);
  private readonly recentOutput: number[] = new Array<number>(RECENT_SLOTS).fill(0);

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    const apply = (): void => {
      this.limit = this.effectiveLimit();
    };
    apply();
    config.onChange('maxmemory-clients', apply);
    config.onChange('maxmemory', apply);
    this.queryBufferLimit = config.int('client-query-buffer-limit');
    config.onChange('client-query-buffer-limit', (_, value) => {
      this.queryBufferLimit = Number(value);
    });
  }

  /** redis-server's getClientEvictionLimit: bytes, a percentage of maxmemory (none without one), 0 when off. */
  private effectiveLimit(): number {
    const value = this.config.get('maxmemory-clients');
    const bytes = value.endsWith('%') ? Math.floor((this.config.int('maxmemory') * Number(value.slice(0, -1))) / 100) : Number(value);
    return bytes === 0 ? 0 : Math.max(bytes, MIN_LIMIT);
  }

  /** Re-accounts `c` after its buffers changed (a read, a command, a write); `output` is its `outputBytes`. */
  update(c: Connection, output = c.outputBytes): void {
    if (c.closed) return;
    const bytes = clientMemoryTotal(c, output);
    const cls = memoryClass(c);
    const totals = this.totals;
    if (c.accountedClass === UNACCOUNTED) this.accounted.add(c);
    else totals[c.accountedClass] -= c.accountedBytes;
    c.accountedBytes = bytes;
    c.accountedClass = cls;
    totals[cls] += bytes;
  }

  /** The client is gone: its memory no longer counts. */
  remove(c: Connection): void {
    if (c.accountedClass === UNACCOUNTED) return;
    this.totals[c.accountedClass] -= c.accountedBytes;
    c.accountedClass = UNACCOUNTED;
    this.accounted.delete(c);
  }

  /** INFO memory mem_clients_normal (normal, pub/sub and a primary's link) and mem_clients_slaves. */
  get normalClients(): number {
    return this.totals[NORMAL] + this.totals[PRIMARY];
  }

  get replicaClients(): number {
    return this.totals[REPLICA];
  }

  /**
   * evictClients: while normal and pub/sub clients use maxmemory-clients or more,
   * disconnects the biggest evictable one. Returns true when it disconnected anyone.
   */
  evictIfOver(): boolean {
    if (this.limit === 0 || this.totals[NORMAL] < this.limit) return false;
    const candidates = [...this.accounted].filter((c) => c.accountedClass === NORMAL && !c.noEvict).sort((a, b) => b.accountedBytes - a.accountedBytes);
    let evicted = false;
    for (const c of candidates) {
      if (this.totals[NORMAL] < this.limit) break;
      this.log.info(`Evicting client: ${clientInfoLine(c)}`);
      this.evicted++;
      evicted = true;
      c.close();
    }
    if (this.totals[NORMAL] >= this.limit) this.log.warn('Over client maxmemory after evicting all evictable clients');
    return evicted;
  }

  /**
   * Once a second: remembers the largest input and output buffers (INFO
   * client_recent_max_*); every 5 s restarts each client's output peak (CLIENT LIST rbp),
   * as redis-server resets its reply buffer peaks.
   */
  sampleRecent(clients: Iterable<Connection>, second: number): void {
    let input = 0;
    let output = 0;
    const resetPeaks = second % PEAK_RESET_SECONDS === 0;
    for (const c of clients) {
      if (resetPeaks) c.outputPeak = c.outputBytes;
      input = Math.max(input, c.queryBufferBytes);
      output = Math.max(output, c.outputBytes);
    }
    this.recentInput[second % RECENT_SLOTS] = input;
    this.recentOutput[second % RECENT_SLOTS] = output;
  }

  /** The largest input and output buffers of the last few seconds, and of now. */
  recentMax(clients: Iterable<Connection>): { input: number; output: number } {
    let input = Math.max(...this.recentInput);
    let output = Math.max(...this.recentOutput);
    for (const c of clients) {
      input = Math.max(input, c.queryBufferBytes);
      output = Math.max(output, c.outputBytes);
    }
    return { input, output };
  }
}
