/** A minimal RESP client that returns replies as raw bytes, for byte-exact comparison. */
import net from 'node:net';
import { ReplyFramer, type Decoded } from '../../protocol/decoder.js';

export interface RawReply {
  raw: Buffer;
  value: Decoded;
}

export function encodeCommand(argv: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * A plain TCP connection to `port`, once connected (rejects if it fails; errors after
 * that are the caller's to handle): for clients that read the bytes their own way.
 */
export async function connectedSocket(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

export class RawClient {
  private readonly framer = new ReplyFramer();
  private readonly queue: RawReply[] = [];
  private waiters: (() => void)[] = [];
  /** Bytes received that do not make a whole reply yet. */
  private unframed = 0;
  closed = false;

  private connection: net.Socket | null = null;

  private constructor() {}

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const c = new RawClient();
    await c.open(port, host);
    return c;
  }

  /** A client whose connection `open` makes later: `suiteClient` (suite.ts) hands it out before its server starts. */
  static unopened(): RawClient {
    return new RawClient();
  }

  async open(port: number, host = '127.0.0.1'): Promise<void> {
    const socket = await connectedSocket(port, host);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const replies = this.framer.push(chunk);
      this.unframed += chunk.length - replies.reduce((n, r) => n + r.raw.length, 0);
      this.queue.push(...replies);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
    this.connection = socket;
  }

  get socket(): net.Socket {
    if (this.connection === null) throw new Error('RawClient used before it was opened (a suite client opens in its beforeAll)');
    return this.connection;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends one command and returns its reply. */
  async call(...argv: (string | Buffer)[]): Promise<RawReply> {
    this.socket.write(encodeCommand(argv));
    return this.read();
  }

  /** Sends bytes as they are (inline commands, malformed input, pipelines). */
  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Sends bytes, waiting while the socket's buffer is full (for long pipelines). */
  async send(bytes: Buffer): Promise<void> {
    if (!this.socket.write(bytes)) await new Promise((resolve) => this.socket.once('drain', resolve));
    else await new Promise((resolve) => setImmediate(resolve));
  }

  /** The next reply; rejects if the connection closes first or after `timeoutMs`. */
  async read(timeoutMs = 10_000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a reply');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.queue.shift()!;
  }

  /**
   * Sends the commands pipelined, `batch` at a time (a batch's replies read before the
   * next is sent, so neither side's buffers grow without bound), and returns every reply.
   */
  async pipeline(argvs: readonly (readonly (string | Buffer)[])[], batch = argvs.length): Promise<RawReply[]> {
    const replies: RawReply[] = [];
    for (let at = 0; at < argvs.length; at += batch) {
      const part = argvs.slice(at, at + batch);
      this.write(Buffer.concat(part.map((argv) => encodeCommand(argv))));
      for (const reply of await this.readMany(part.length)) replies.push(reply);
    }
    return replies;
  }

  /** The next `n` replies, in order. */
  async readMany(n: number): Promise<RawReply[]> {
    const replies: RawReply[] = [];
    for (let i = 0; i < n; i++) replies.push(await this.read());
    return replies;
  }

  /** Resolves once the server has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** What arrived and was not read: whole replies (latin1), and the bytes of an incomplete one. */
  leftover(): { replies: string[]; partialBytes: number } {
    return { replies: this.queue.map((r) => r.raw.toString('latin1')), partialBytes: this.unframed };
  }

  /** Closes the connection (nothing to do for a client never opened). */
  close(): void {
    this.connection?.destroy();
  }
}
