/**
 * Helpers for the replication suites: INFO fields, a follower's link coming up and its
 * convergence with its leader (states waited for, never times), a raw stream reader, and a mixed
 * write load (streams with consumer groups reading and acking, lists with BRPOPLPUSH
 * consumers, keys with TTLs, pub/sub, MULTI/EXEC, a second db).
 */
import { ReplyFramer } from '../../protocol/decoder.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { until } from '../harness/wait.js';

/** `INFO <section>` as a map of its fields. */
export async function info(c: RawClient, section: string): Promise<Map<string, string>> {
  const text = (await c.call('INFO', section)).raw.toString('latin1');
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#') && !line.startsWith('$')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export async function infoField(c: RawClient, section: string, name: string): Promise<string | undefined> {
  return (await info(c, section)).get(name);
}

/** Polls INFO replication until the follower `c` says its link to the leader is up. */
export async function linkUp(c: RawClient, timeoutMs?: number): Promise<void> {
  await until('the follower link is up', async () => (await infoField(c, 'replication', 'master_link_status')) === 'up', timeoutMs);
}

/** DEBUG DIGEST of each db in use, as one string. */
export async function digest(c: RawClient): Promise<string> {
  return (await c.call('DEBUG', 'DIGEST')).raw.toString('latin1');
}

/**
 * Waits until the follower has processed everything the leader produced and both
 * datasets have the same DEBUG DIGEST (keys expiring on the leader meanwhile send
 * DELs, so it is asked again until both agree).
 */
export async function converged(leader: RawClient, follower: RawClient, timeoutMs = 30_000): Promise<void> {
  await until(
    'the follower has the leader dataset',
    async () => {
      const offset = await infoField(leader, 'replication', 'master_repl_offset');
      const processed = await infoField(follower, 'replication', 'slave_repl_offset');
      if (offset === undefined || processed !== offset) return false;
      return (await digest(leader)) === (await digest(follower));
    },
    timeoutMs,
  );
}

/**
 * A replication stream read off a raw connection that asked `PSYNC ? -1`: the
 * +FULLRESYNC line and the payload skipped, then each command of the stream.
 */
export class StreamReader {
  readonly commands: string[][] = [];
  replid = '';
  offset = -1;
  /** The first line the leader sent (+FULLRESYNC, unless something came before it). */
  firstLine: string | null = null;
  private buffered = Buffer.alloc(0);
  private payloadLeft = -1;
  private eofMark: string | null = null;
  private readonly framer = new ReplyFramer();
  /** Stream bytes received after the payload. */
  processed = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly client: RawClient) {
    client.socket.removeAllListeners('data');
    client.socket.on('data', (chunk: Buffer) => this.feed(chunk));
  }

  /** The handshake of a follower that takes `$EOF:` payloads (one command at a time, as a follower's). */
  static async start(client: RawClient): Promise<StreamReader> {
    await client.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
    const reader = new StreamReader(client);
    client.write('PSYNC ? -1\r\n');
    return reader;
  }

  private feed(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (this.offset < 0) {
        // +FULLRESYNC, then the payload's header line.
        const nl = this.buffered.indexOf('\r\n');
        if (nl < 0) return;
        const line = this.buffered.latin1Slice(0, nl);
        this.buffered = this.buffered.subarray(nl + 2);
        this.firstLine ??= line;
        const full = /^\+FULLRESYNC (\S+) (\d+)$/.exec(line);
        if (full !== null) {
          this.replid = full[1];
          this.offset = Number(full[2]);
        }
        continue;
      }
      if (this.payloadLeft < 0 && this.eofMark === null) {
        // Newlines may precede the payload (keep-alives while it is prepared).
        while (this.buffered.length > 0 && this.buffered[0] === 0x0a) this.buffered = this.buffered.subarray(1);
        const nl = this.buffered.indexOf('\r\n');
        if (nl < 0) return;
        const line = this.buffered.latin1Slice(0, nl);
        this.buffered = this.buffered.subarray(nl + 2);
        if (line.startsWith('$EOF:')) this.eofMark = line.slice(5);
        else this.payloadLeft = Number(line.slice(1));
        continue;
      }
      if (this.eofMark !== null) {
        const at = this.buffered.indexOf(this.eofMark, 0, 'latin1');
        if (at < 0) return;
        this.buffered = this.buffered.subarray(at + this.eofMark.length);
        this.eofMark = null;
        this.payloadLeft = 0;
        this.acknowledge();
        continue;
      }
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, this.buffered.length);
        this.buffered = this.buffered.subarray(n);
        this.payloadLeft -= n;
        if (this.payloadLeft > 0) return;
        continue;
      }
      const rest = this.buffered;
      this.buffered = Buffer.alloc(0);
      this.processed += rest.length;
      for (const reply of this.framer.push(rest)) {
        const value = reply.value;
        if (Array.isArray(value)) this.commands.push(value.map((v) => String(v)));
      }
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
      return;
    }
  }

  /**
   * A follower acknowledges what it processed every second from the end of the payload
   * on (its first ACK is what starts the stream); this one every 100 ms.
   */
  private acknowledge(): void {
    const timer = setInterval(() => {
      if (this.client.closed) clearInterval(timer);
      else this.client.write(`REPLCONF ACK ${this.offset + this.processed}\r\n`);
    }, 100);
    timer.unref();
  }

  /** The commands received so far, PINGs left out (their timing is the leader's cron's). */
  get effects(): string[][] {
    return this.commands.filter((argv) => argv[0].toLowerCase() !== 'ping');
  }

  /** Waits until `check(effects)` holds. */
  async until(what: string, check: (effects: string[][]) => boolean): Promise<void> {
    await until(what, async () => check(this.effects), 20_000);
  }
}

/** Runs `fn` on each client until `stop()` is called; returns stop, which resolves when all loops ended. */
export function runLoops(loops: (() => Promise<void>)[]): () => Promise<void> {
  let running = true;
  const done = Promise.all(
    loops.map(async (body) => {
      while (running) await body();
    }),
  );
  // A loop whose server went away (a test killed it) fails `stop`, not the test run meanwhile.
  done.catch(() => undefined);
  return async () => {
    running = false;
    await done;
  };
}

let seq = 0;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

/**
 * A mixed write load over `clients` (at least 5 connections to the leader): a producer
 * writing streams, keys with TTLs, lists, pub/sub and transactions; two stream
 * consumers in a group reading and acking; two list consumers moving items with
 * BRPOPLPUSH. Returns the function that stops it.
 */
export async function mixedLoad(clients: RawClient[]): Promise<() => Promise<void>> {
  const [producer, reader1, reader2, mover1, mover2] = clients;
  for (const s of ['orders', 'events']) {
    await producer.call('XGROUP', 'CREATE', s, 'workers', '$', 'MKSTREAM');
  }
  const produce = async (): Promise<void> => {
    const n = ++seq;
    const batch: string[][] = [
      ['XADD', pick(['orders', 'events']), '*', 'n', String(n), 'body', 'x'.repeat(n % 50)],
      ['XADD', 'orders', 'MAXLEN', '~', '500', '*', 'n', String(n)],
      ['LPUSH', 'jobs', `job-${n}`],
      ['SET', `key:${n % 200}`, String(n), 'EX', '100'],
      ['SET', `short:${n % 50}`, String(n), 'PX', String(20 + (n % 40))],
      ['INCR', 'counter'],
      ['EXPIRE', `key:${(n + 7) % 200}`, '200'],
      ['PUBLISH', 'news', String(n)],
    ];
    if (n % 5 === 0) batch.push(['MULTI'], ['RPUSH', 'tx', String(n)], ['SET', 'tx:last', String(n)], ['EXEC']);
    if (n % 7 === 0) batch.push(['SELECT', '1'], ['SET', `db1:${n % 10}`, String(n)], ['SELECT', '0']);
    if (n % 11 === 0) batch.push(['XTRIM', 'events', 'MAXLEN', '300']);
    if (n % 13 === 0) batch.push(['DEL', `key:${n % 200}`]);
    for (const argv of batch) producer.write(encodeCommand(argv));
    await producer.readMany(batch.length);
  };
  const read = (c: RawClient, consumer: string) => async (): Promise<void> => {
    const stream = pick(['orders', 'events']);
    const reply = await c.call('XREADGROUP', 'GROUP', 'workers', consumer, 'COUNT', '5', 'BLOCK', '20', 'STREAMS', stream, '>');
    const ids = [...reply.raw.toString('latin1').matchAll(/\r\n\$\d+\r\n(\d+-\d+)\r\n\*/g)].map((m) => m[1]);
    // Some entries stay pending (a consumer that crashed), the rest are acknowledged.
    const acked = ids.filter((_, i) => i % 4 !== 3);
    if (acked.length > 0) await c.call('XACK', stream, 'workers', ...acked);
    if (seq % 17 === 0) await c.call('XAUTOCLAIM', stream, 'workers', consumer, '10', '0-0', 'COUNT', '3');
  };
  const move = (c: RawClient) => async (): Promise<void> => {
    const reply = await c.call('BRPOPLPUSH', 'jobs', 'processing', '0.05');
    const item = reply.value;
    if (typeof item === 'string') await c.call('LREM', 'processing', '1', item);
  };
  return runLoops([produce, read(reader1, 'alice'), read(reader2, 'bob'), move(mover1), move(mover2)]);
}
