/**
 * Values near `proto-max-bulk-len` (512 MB) in tests, without ever holding one as a JS
 * string (V8 cannot) or even as one Buffer in the test: a `Payload` is generated a
 * piece at a time and known by its length and SHA-1; `BulkClient` streams payloads to
 * a server and hashes bulk replies as they arrive.
 */
import { createHash, type Hash } from 'node:crypto';
import net from 'node:net';
import { connectedSocket } from './raw.js';

const PIECE = 1 << 20;

/** Deterministic bytes of a given length: 1 MiB pieces of a seeded pattern, each stamped with its index. */
export class Payload {
  constructor(
    readonly length: number,
    readonly seed = 1,
  ) {}

  *pieces(): Generator<Buffer> {
    const base = Buffer.allocUnsafe(PIECE);
    for (let i = 0; i < PIECE; i++) base[i] = (i * 131 + this.seed * 17 + (i >> 8)) & 0xff;
    for (let at = 0, k = 0; at < this.length; at += PIECE, k++) {
      const piece = Buffer.from(base.subarray(0, Math.min(PIECE, this.length - at)));
      if (piece.length >= 8) piece.writeDoubleLE(k, 0);
      yield piece;
    }
  }

  sha1(): string {
    const h = createHash('sha1');
    for (const p of this.pieces()) h.update(p);
    return h.digest('hex');
  }
}

/** A reply: its first byte and line (`+OK`, `:5`, `-ERR ...`), for a bulk its length and SHA-1, for an array its elements. */
export interface HashedReply {
  line: string;
  length?: number;
  sha1?: string;
  items?: HashedReply[];
}

/** A RESP2 client sending payloads in pieces and hashing bulks (in arrays too) as they arrive. */
export class BulkClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private wake: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<BulkClient> {
    return new BulkClient(await connectedSocket(port));
  }

  /** Sends one command and reads its reply. */
  async call(...argv: (string | Payload)[]): Promise<HashedReply> {
    await this.send(argv);
    return this.read();
  }

  async send(argv: readonly (string | Payload)[]): Promise<void> {
    await this.write(Buffer.from(`*${argv.length}\r\n`));
    for (const a of argv) {
      if (typeof a === 'string') {
        await this.write(Buffer.from(`$${a.length}\r\n${a}\r\n`, 'latin1'));
        continue;
      }
      await this.write(Buffer.from(`$${a.length}\r\n`));
      for (const piece of a.pieces()) await this.write(piece);
      await this.write(Buffer.from('\r\n'));
    }
  }

  private async write(b: Buffer): Promise<void> {
    if (!this.socket.write(b)) await new Promise((resolve) => this.socket.once('drain', resolve));
  }

  /** The next reply; a bulk is hashed as it streams in (into `hash` when given, its digest then left to the caller). */
  async read(hash?: Hash): Promise<HashedReply> {
    const n = await this.lineLength();
    const line = (await this.take(n)).latin1Slice(0, n - 2);
    if (line[0] === '*' && line !== '*-1') {
      const items: HashedReply[] = [];
      for (let i = Number(line.slice(1)); i > 0; i--) items.push(await this.read());
      return { line, items };
    }
    if (line[0] !== '$' || line === '$-1') return { line };
    const length = Number(line.slice(1));
    const into = hash ?? createHash('sha1');
    await this.drainInto(length, into);
    await this.take(2);
    return hash === undefined ? { line, length, sha1: into.digest('hex') } : { line, length };
  }

  /** The SHA-1 of a string value read with GETRANGE in pieces of `piece` bytes (each reply short of V8's string limit). */
  async rangeSha1(key: string, length: number, piece = 64 * 1024 * 1024): Promise<string> {
    const hash = createHash('sha1');
    for (let at = 0; at < length; at += piece) {
      await this.send(['GETRANGE', key, String(at), String(Math.min(at + piece, length) - 1)]);
      const reply = await this.read(hash);
      if (reply.length !== Math.min(piece, length - at)) throw new Error(`GETRANGE at ${at}: ${reply.line}`);
    }
    return hash.digest('hex');
  }

  close(): void {
    this.socket.destroy();
  }

  private async more(): Promise<void> {
    if (this.closed) throw new Error('connection closed');
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
  }

  /** Bytes up to and including the next CRLF. */
  private async lineLength(): Promise<number> {
    for (;;) {
      const all = Buffer.concat(this.chunks);
      this.chunks = all.length > 0 ? [all] : [];
      const lf = all.indexOf(10);
      if (lf >= 0) return lf + 1;
      await this.more();
    }
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buffered < n) await this.more();
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }

  private async drainInto(n: number, hash: Hash): Promise<void> {
    while (n > 0) {
      if (this.chunks.length === 0) await this.more();
      const chunk = this.chunks.shift()!;
      const used = Math.min(n, chunk.length);
      hash.update(chunk.subarray(0, used));
      if (used < chunk.length) this.chunks.unshift(chunk.subarray(used));
      this.buffered -= used;
      n -= used;
    }
  }
}
