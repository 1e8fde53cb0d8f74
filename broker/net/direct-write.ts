/**
 * Writes a client's replies to its socket's handle directly, past the socket's Writable
 * stream, as that stream itself does at its end (net.js writeGeneric: a WriteWrap and
 * the handle's writeBuffer/writev). The Writable around it costs per write its state
 * bookkeeping, a WriteWrap made anew and a process.nextTick for the write's callback:
 * with 50 clients sending one GET each, 0.5 us of user CPU per request, the
 * write(2) itself aside (ARCHITECTURE.md, "The life of one command").
 *
 * Order with writes through the Writable (socket.end, the leader's snapshot payload,
 * the scrape answer) is kept by writing directly only while the Writable holds nothing:
 * libuv then queues either after the other. A write the kernel took whole (the usual
 * case) leaves no request behind, so one WriteWrap is reused for all of them; one that
 * the kernel took in part stays queued in libuv, which writes the rest as the socket
 * drains and then calls `done`: until then its bytes count in `pending`.
 *
 * The WriteWrap class and the write's outcome come from Node's stream_wrap binding
 * (process.binding, which Node keeps for it); without it `directWrites` gives null and
 * the caller writes through the socket.
 */
import type { Socket } from 'node:net';

interface WriteReq {
  handle: unknown;
  oncomplete: ((this: WriteReq, status: number) => void) | null;
  buffer: unknown;
  writer: DirectWrites | null;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  writev(req: WriteReq, chunks: readonly Uint8Array[], allBuffers: boolean): number;
  readonly writeQueueSize: number;
}

interface StreamWrap {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

const binding = loadBinding();

function loadBinding(): StreamWrap | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrap> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== 'number') return null;
    return b as StreamWrap;
  } catch {
    return null;
  }
}

/** The request the next write uses: a write the kernel took whole leaves it free for the next. */
let spare: WriteReq | null = null;

/** A request's end, called by Node once libuv wrote the rest of a partial write (`this` the request). */
function onComplete(this: WriteReq, status: number): void {
  const writer = this.writer!;
  this.writer = null;
  this.buffer = null;
  writer.completed(status);
}

export class DirectWrites {
  /** Bytes of partial writes libuv still holds for the kernel. */
  pending = 0;
  /** Partial writes not complete yet. */
  private waiting = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly handle: StreamHandle,
    /** A partial write completed (status 0) or failed (a negative errno); `pending` is up to date. */
    private readonly done: (status: number) => void,
  ) {}

  /** Direct writes for `socket`, or null when this Node does not offer them. */
  static for(socket: Socket, done: (status: number) => void): DirectWrites | null {
    const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
    if (binding === null || handle === null || handle === undefined) return null;
    if (typeof handle.writeBuffer !== 'function' || typeof handle.writev !== 'function') return null;
    return new DirectWrites(socket, handle as StreamHandle, done);
  }

  /** True when a write may go directly now: the socket's Writable holds nothing that would have to go first. */
  get usable(): boolean {
    return this.socket.writableLength === 0 && !this.socket.destroyed;
  }

  /**
   * Writes `out` in order (one writev for a chain); returns 0 when the kernel took it
   * whole, 1 when part of it waits in libuv (`out` is held until then), or the negative
   * errno of a failed write.
   */
  write(out: readonly Buffer[]): number {
    const b = binding!;
    const req = spare ?? new b.WriteWrap();
    spare = null;
    const err = out.length === 1 ? this.handle.writeBuffer(req, out[0]) : this.handle.writev(req, out, true);
    if (err !== 0) return err;
    if (b.streamBaseState[b.kLastWriteWasAsync] === 0) {
      spare = req;
      return 0;
    }
    // Part of it waits in libuv: the request is libuv's until it completes, and holds the Buffers until then.
    req.handle = this.handle;
    req.oncomplete = onComplete;
    req.buffer = out;
    req.writer = this;
    this.waiting++;
    this.pending = this.handle.writeQueueSize;
    return 1;
  }

  /** @internal A partial write completed. */
  completed(status: number): void {
    this.waiting--;
    this.pending = this.waiting === 0 || this.socket.destroyed ? 0 : this.handle.writeQueueSize;
    this.done(status);
  }
}
