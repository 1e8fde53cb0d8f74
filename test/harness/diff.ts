/**
 * Differential testing: the same commands sent to our broker and to a reference
 * redis-server, replies compared byte for byte.
 */
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { encodeCommand, RawClient, type RawReply } from './raw.js';
import { startBroker, startRedis, type InProcessBroker, type RunningServer } from './servers.js';

export class DiffPair {
  private clients: { ours: RawClient; ref: RawClient } | null = null;

  private constructor() {}

  static async connect(oursPort: number, refPort: number): Promise<DiffPair> {
    const p = new DiffPair();
    await p.open(oursPort, refPort);
    return p;
  }

  /** A pair whose connections `open` makes later: `diffSuite` hands it out before its servers start. */
  static unopened(): DiffPair {
    return new DiffPair();
  }

  async open(oursPort: number, refPort: number): Promise<void> {
    this.clients = { ours: await RawClient.connect(oursPort), ref: await RawClient.connect(refPort) };
  }

  get ours(): RawClient {
    return this.opened().ours;
  }

  get ref(): RawClient {
    return this.opened().ref;
  }

  private opened(): { ours: RawClient; ref: RawClient } {
    if (this.clients === null) throw new Error('DiffPair used before it was opened (a diffSuite pair opens in its beforeAll)');
    return this.clients;
  }

  /** Runs a command on both; returns both raw replies. */
  async both(...argv: (string | Buffer)[]): Promise<{ ours: RawReply; ref: RawReply }> {
    const [ours, ref] = await Promise.all([this.ours.call(...argv), this.ref.call(...argv)]);
    return { ours, ref };
  }

  /** Runs a command on both and expects byte-identical replies; returns ours. */
  async same(...argv: (string | Buffer)[]): Promise<RawReply> {
    const { ours, ref } = await this.both(...argv);
    expect(show(ours.raw), `reply to ${argv.join(' ')}`).toBe(show(ref.raw));
    return ours;
  }

  /**
   * Sends every command pipelined to both, reads all replies, then compares them in
   * order, so a mismatch leaves no reply behind for the next call. `view` renders a
   * reply for comparison (e.g. masking fields that legitimately differ).
   */
  async samePipeline(argvs: readonly (readonly (string | Buffer)[])[], view: (raw: Buffer) => string = show): Promise<void> {
    const bytes = Buffer.concat(argvs.map((argv) => encodeCommand(argv)));
    this.ours.write(bytes);
    this.ref.write(bytes);
    const [ours, ref] = await Promise.all([this.ours.readMany(argvs.length), this.ref.readMany(argvs.length)]);
    argvs.forEach((argv, i) => expect(view(ours[i].raw), `reply to ${JSON.stringify(argv)}`).toBe(view(ref[i].raw)));
  }

  /**
   * `samePipeline`, but collecting every difference (`reply to <argv>: ours <> ref`)
   * instead of stopping at the first: for sweeps over many cases.
   */
  async differences(argvs: readonly (readonly (string | Buffer)[])[], view: (raw: Buffer) => string = show): Promise<string[]> {
    const bytes = Buffer.concat(argvs.map((argv) => encodeCommand(argv)));
    this.ours.write(bytes);
    this.ref.write(bytes);
    const [ours, ref] = await Promise.all([this.ours.readMany(argvs.length), this.ref.readMany(argvs.length)]);
    return argvs.flatMap((argv, i) => {
      const [o, r] = [view(ours[i].raw), view(ref[i].raw)];
      return o === r ? [] : [`reply to ${JSON.stringify(argv)}: ours ${o} <> ref ${r}`];
    });
  }

  /**
   * Runs `body` with both connections switched to RESP3 (HELLO 3, which must answer
   * with a map on both: its fields, the server's version and id, differ), then back.
   */
  async inResp3<T>(body: () => Promise<T>): Promise<T> {
    const { ours, ref } = await this.both('HELLO', '3');
    expect(show(ours.raw.subarray(0, 1)), 'HELLO 3').toBe(show(ref.raw.subarray(0, 1)));
    expect(show(ref.raw.subarray(0, 1)), 'HELLO 3 on redis-server').toBe(show(Buffer.from('%')));
    try {
      return await body();
    } finally {
      await this.both('HELLO', '2');
    }
  }

  /**
   * Runs the commands pipelined in RESP2, then FLUSHALL and the same again in RESP3:
   * for commands that build their own data, whose replies differ by protocol.
   */
  async sameInBothProtocols(commands: readonly (readonly (string | Buffer)[])[]): Promise<void> {
    await this.samePipeline(commands);
    await this.same('FLUSHALL');
    await this.inResp3(() => this.samePipeline(commands));
  }

  /** Sends a command to both without reading its reply (it may wait: see `sameNext`). */
  send(...argv: (string | Buffer)[]): void {
    const bytes = encodeCommand(argv);
    this.ours.write(bytes);
    this.ref.write(bytes);
  }

  /** Reads the next reply on both and expects the same bytes. */
  async sameNext(what: string): Promise<void> {
    const [o, r] = await Promise.all([this.ours.read(), this.ref.read()]);
    expect(show(o.raw), what).toBe(show(r.raw));
  }

  /** Sends raw bytes to both and expects the same replies (as many as the reference gives). */
  async sameRaw(bytes: string | Buffer, replies = 1): Promise<void> {
    this.ours.write(bytes);
    this.ref.write(bytes);
    for (let i = 0; i < replies; i++) {
      const [o, r] = await Promise.all([this.ours.read(), this.ref.read()]);
      expect(show(o.raw), `reply ${i} to ${JSON.stringify(bytes.toString())}`).toBe(show(r.raw));
    }
  }

  /** Closes both connections (nothing to do for a pair never opened). */
  close(): void {
    this.clients?.ours.close();
    this.clients?.ref.close();
  }
}

/** Raw reply bytes in a readable, exact form for assertion messages. */
export function show(raw: Buffer): string {
  return JSON.stringify(raw.toString('latin1'));
}

/**
 * XINFO STREAM's radix-tree-nodes is redis-server's estimate of its internal node
 * count, which our stream does not have: its value is replaced by `?`.
 */
export function maskRadixTreeNodes(text: string): string {
  return text.replace(/(radix-tree-nodes\r\n:)\d+/, '$1?');
}

/** `show` with radix-tree-nodes masked: for comparing XINFO STREAM replies. */
export function showXinfo(raw: Buffer): string {
  return JSON.stringify(maskRadixTreeNodes(raw.toString('latin1')));
}

/** Our broker in-process and a reference redis-server, started together. */
export interface DiffServers {
  ours: InProcessBroker;
  ref: RunningServer;
  pair(): Promise<DiffPair>;
  stop(): Promise<void>;
}

export async function startDiffServers(oursArgs: readonly string[] = [], refArgs: readonly string[] = []): Promise<DiffServers> {
  const [ours, ref] = await Promise.all([startBroker(oursArgs), startRedis(refArgs)]);
  const pairs: DiffPair[] = [];
  return {
    ours,
    ref,
    async pair() {
      const p = await DiffPair.connect(ours.port, ref.port);
      pairs.push(p);
      return p;
    },
    async stop() {
      for (const p of pairs) p.close();
      await Promise.all([ours.stop(), ref.stop()]);
    },
  };
}

export interface DiffSuiteOptions {
  /** Our broker's arguments. */
  ours?: readonly string[];
  /** The reference redis-server's. */
  ref?: readonly string[];
}

/**
 * The servers of a describe block: registers the hooks that start our broker and a
 * redis-server before its tests and stop them after. The object is returned at once,
 * for the block's body to close over; its members answer from the first hook on.
 */
export function suiteServers({ ours = [], ref = [] }: DiffSuiteOptions = {}): DiffServers {
  let started: DiffServers | undefined;
  const running = (): DiffServers => {
    if (started === undefined) throw new Error('suite servers used before their beforeAll started them');
    return started;
  };
  beforeAll(async () => {
    started = await startDiffServers(ours, ref);
  });
  afterAll(() => started?.stop());
  return {
    get ours() {
      return running().ours;
    },
    get ref() {
      return running().ref;
    },
    pair: () => running().pair(),
    stop: () => running().stop(),
  };
}

/**
 * The usual set-up of a differential describe block: `suiteServers`, and a pair
 * connected to both before the tests; with `flushEach`, a compared FLUSHALL before
 * each test. A block's own hooks, registered after this call, run after these.
 */
export function diffSuite({ flushEach = false, ...servers }: DiffSuiteOptions & { flushEach?: boolean } = {}): { servers: DiffServers; p: DiffPair } {
  const started = suiteServers(servers);
  const p = DiffPair.unopened();
  beforeAll(() => p.open(started.ours.port, started.ref.port));
  afterAll(() => p.close());
  if (flushEach) {
    beforeEach(async () => {
      await p.same('FLUSHALL');
    });
  }
  return { servers: started, p };
}

/**
 * Waits, if need be, until the wall clock is at least 150 ms into a second with 300 ms
 * of it left: OBJECT IDLETIME counts whole seconds, and a comparison of it must not
 * straddle a second's boundary, which each server passes at its own moment
 * (redis-server's LRU clock is its cron's, up to 100 ms late).
 */
export async function clearOfSecondBoundary(): Promise<void> {
  const intoSecond = Date.now() % 1000;
  if (intoSecond >= 150 && intoSecond < 700) return;
  await new Promise((resolve) => setTimeout(resolve, (1150 - intoSecond) % 1000));
}
