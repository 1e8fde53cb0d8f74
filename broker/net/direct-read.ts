/**
 * Reads a client socket into one Buffer shared by every connection, handing each read
 * to a callback, instead of through the socket's Readable stream ('data' events).
 *
 * This is what Node's `net.Socket` `onread` option does (a socket reading into a given
 * buffer); the option exists only for sockets the program creates, not for those a
 * server accepts, so it is set here on an accepted socket by the same two fields the
 * option sets (found by their symbols' names) and the handle's `useUserBuffer`. Node's
 * own read callback then hands each read to ours: end of input, errors, `pause()` and
 * `resume()` (which stop and restart the handle's reads) behave as with the option.
 *
 * Per read this saves what the Readable stream does with a chunk: a new ArrayBuffer
 * (malloc and free), the push and 'data' event through the stream's state, and a
 * process.nextTick (maybeReadMore) with the tick queue's run after the callback: with
 * 50 clients sending one command each, a GET's user CPU went from 5.5 to 3.7 us
 * (ARCHITECTURE.md, "The life of one command").
 *
 * The shared Buffer is overwritten by the next read of any socket: the callback must
 * copy what it keeps (RespParser.keepInput). Where Node's internals are not as expected,
 * `readDirectly` returns false and the caller keeps its 'data' listener.
 */
import type { Socket } from 'node:net';

/** Bytes per read(2), as Node's own reads (64 KB). */
const READ_BYTES = 64 * 1024;

const shared = Buffer.allocUnsafeSlow(READ_BYTES);
const memory = shared.buffer;

/**
 * A read's bytes as a Buffer over the shared one, made as protocol/reply.ts makes its
 * slab views: `subarray` looks the ArrayBuffer up in C++ and checks offsets again, per read.
 */
class ReadView extends Uint8Array {}
Object.setPrototypeOf(ReadView.prototype, Buffer.prototype);

/** The socket's fields for a user buffer and its callback (net.js kBuffer, kBufferCb), looked up on the first socket. */
let fields: { buffer: symbol; callback: symbol } | null | undefined;

function userBufferFields(socket: Socket): { buffer: symbol; callback: symbol } | null {
  const symbols = Object.getOwnPropertySymbols(socket);
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  const generator = symbols.find((s) => s.description === 'kBufferGen');
  // kBufferGen must be there and null, or Node's read callback would call it.
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  if ((socket as unknown as Record<symbol, unknown>)[generator] !== null) return null;
  return { buffer, callback };
}

/**
 * Called once the read being handled returns, before the shared Buffer can be read
 * into again: whoever kept a view of a read's bytes to copy them later (the
 * replication stream's run of requests, replication/log.ts) copies them here, one copy
 * for a run of commands rather than one per command.
 */
const afterRead: (() => void)[] = [];

/** Runs `copy` once, when the read being handled returns (only while handling one: `onRead`'s chunk is valid until then). */
export function whenReadReturns(copy: () => void): void {
  afterRead.push(copy);
}

function readReturned(): void {
  for (let i = 0; i < afterRead.length; i++) afterRead[i]();
  afterRead.length = 0;
}

interface UserBufferHandle {
  useUserBuffer(buf: Uint8Array): void;
}

/**
 * Makes `socket` read into the shared Buffer and call `onRead` with each read (a view
 * valid only during the call). False when this Node cannot: nothing was changed.
 */
export function readDirectly(socket: Socket, onRead: (chunk: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== 'function') return false;
  if (fields === undefined) fields = userBufferFields(socket);
  if (fields === null) return false;
  const target = socket as unknown as Record<symbol, unknown>;
  target[fields.buffer] = shared;
  target[fields.callback] = (nread: number): void => {
    try {
      onRead(new ReadView(memory, 0, nread) as unknown as Buffer);
    } finally {
      if (afterRead.length !== 0) readReturned();
    }
  };
  handle.useUserBuffer(shared);
  return true;
}
