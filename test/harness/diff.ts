/**
 * Differential testing: the same commands sent to our broker and to a reference
 * redis-server, replies compared byte for byte.
 */
import { expect } from 'vitest';
import { encodeCommand, RawClient, type RawReply } from './raw.js';
import { startBroker, startRedis, type InProcessBroker, type RunningServer } from './servers.js';

export class DiffPair {
  private constructor(
    readonly ours: RawClient,
    readonly ref: RawClient,
  ) {}

  static async connect(oursPort: number, refPort: number): Promise<DiffPair> {
    return new DiffPair(await RawClient.connect(oursPort), await RawClient.connect(refPort));
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

  /** Sends raw bytes to both and expects the same replies (as many as the reference gives). */
  async sameRaw(bytes: string | Buffer, replies = 1): Promise<void> {
    this.ours.write(bytes);
    this.ref.write(bytes);
    for (let i = 0; i < replies; i++) {
      const [o, r] = await Promise.all([this.ours.read(), this.ref.read()]);
      expect(show(o.raw), `reply ${i} to ${JSON.stringify(bytes.toString())}`).toBe(show(r.raw));
    }
  }

  close(): void {
    this.ours.close();
    this.ref.close();
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

export async function startDiffServers(oursArgs: string[] = [], refArgs: string[] = []): Promise<DiffServers> {
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
