/**
 * A full resync's payload as it arrives on the link, as redis-server's
 * readSyncBulkPayload reads it: newlines the leader sends to keep the link alive while
 * it prepares (skipped), then `$EOF:<40-char mark>\r\n` followed by the RDB and the mark
 * (diskless leaders), or `$<length>\r\n` followed by that many bytes. The bytes go to a
 * sink (a temp file, follower.ts) as they arrive: the payload is never held whole in
 * memory by the receiver, and never as a JS string.
 *
 * Where this differs from redis-server: it looks for the end mark anywhere in what
 * arrives, not only at the end of a read, so a leader that streams commands right
 * after the payload (in the same read) is understood; the bytes after the mark are
 * handed back as the start of the command stream.
 */

/** Where the payload's bytes go. */
export interface PayloadSink {
  write(bytes: Buffer): void;
}

export type PayloadProgress =
  | { state: 'more' }
  /** The payload is complete; `rest` is what followed it (the start of the command stream). */
  | { state: 'done'; rest: Buffer }
  | { state: 'error'; error: string };

const MARK_LENGTH = 40;
/** Longest header line taken (`$EOF:` and the mark, or a length). */
const HEADER_MAX = 1024;
const EMPTY = Buffer.alloc(0);

export class PayloadReceiver {
  /** Bytes of the header line read so far, until it is complete. */
  private head: Buffer = EMPTY;
  /** The end mark in `$EOF:` mode, else null. */
  private mark: Buffer | null = null;
  /** In `$<length>` mode, bytes still expected; -1 until the header is read. */
  private remaining = -1;
  /** `$EOF:` mode: the last bytes of the body held back, as they may begin the mark. */
  private tail: Buffer = EMPTY;
  /** Payload bytes received (the RDB, without framing). */
  received = 0;
  /** The announced length, or -1 in `$EOF:` mode (and before the header). */
  announced = -1;

  constructor(private readonly sink: PayloadSink) {}

  /** True once the header was read and the body is arriving. */
  get started(): boolean {
    return this.mark !== null || this.remaining >= 0;
  }

  get eofMode(): boolean {
    return this.mark !== null;
  }

  feed(chunk: Buffer): PayloadProgress {
    if (!this.started) {
      const header = this.readHeader(chunk);
      if (header.state !== 'body') return header;
      chunk = header.rest;
    }
    return this.mark !== null ? this.feedUntilMark(chunk, this.mark) : this.feedCounted(chunk);
  }

  private readHeader(chunk: Buffer): PayloadProgress | { state: 'body'; rest: Buffer } {
    let input = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    for (;;) {
      // Keep-alive newlines before the header (the leader is still making the payload).
      let skip = 0;
      while (skip < input.length && input[skip] === 10) skip++;
      input = input.subarray(skip);
      const end = input.indexOf('\r\n');
      if (end < 0) {
        if (input.length > HEADER_MAX) return { state: 'error', error: 'Bad protocol from MASTER, the first byte is not \'$\' (we received a too long line)' };
        this.head = Buffer.from(input);
        return { state: 'more' };
      }
      const line = input.latin1Slice(0, end);
      this.head = EMPTY;
      const rest = input.subarray(end + 2);
      if (line.startsWith('-')) return { state: 'error', error: `MASTER aborted replication with an error: ${line.slice(1)}` };
      if (!line.startsWith('$')) {
        return { state: 'error', error: `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?` };
      }
      if (line.startsWith('$EOF:') && line.length === 5 + MARK_LENGTH) {
        this.mark = Buffer.from(line.slice(5), 'latin1');
        return { state: 'body', rest };
      }
      const length = Number(line.slice(1));
      if (!Number.isSafeInteger(length) || length < 0) return { state: 'error', error: `Bad payload length from MASTER: '${line}'` };
      this.remaining = length;
      this.announced = length;
      return { state: 'body', rest };
    }
  }

  private feedCounted(chunk: Buffer): PayloadProgress {
    const take = Math.min(this.remaining, chunk.length);
    if (take > 0) this.write(chunk.subarray(0, take));
    this.remaining -= take;
    return this.remaining === 0 ? { state: 'done', rest: chunk.subarray(take) } : { state: 'more' };
  }

  private feedUntilMark(chunk: Buffer, mark: Buffer): PayloadProgress {
    const tail = this.tail;
    if (tail.length > 0 && chunk.length < MARK_LENGTH - 1) {
      // A short read: the held tail and it are looked at together.
      chunk = Buffer.concat([tail, chunk]);
      this.tail = EMPTY;
    } else if (tail.length > 0) {
      // A mark that begins in the held tail ends in this chunk's first bytes: looked for
      // in that seam, not in a copy of the whole chunk (a copy of the payload, 64 KB a read).
      const seam = Buffer.concat([tail, chunk.subarray(0, MARK_LENGTH - 1)]);
      const at = seam.indexOf(mark);
      if (at >= 0 && at < tail.length) {
        if (at > 0) this.write(tail.subarray(0, at));
        return { state: 'done', rest: chunk.subarray(at + mark.length - tail.length) };
      }
      this.write(tail);
      this.tail = EMPTY;
    }
    const at = chunk.indexOf(mark);
    if (at >= 0) {
      if (at > 0) this.write(chunk.subarray(0, at));
      return { state: 'done', rest: chunk.subarray(at + mark.length) };
    }
    // All but the last MARK_LENGTH - 1 bytes are payload for sure.
    const keep = Math.min(chunk.length, MARK_LENGTH - 1);
    if (chunk.length > keep) this.write(chunk.subarray(0, chunk.length - keep));
    this.tail = Buffer.from(chunk.subarray(chunk.length - keep));
    return { state: 'more' };
  }

  private write(bytes: Buffer): void {
    this.received += bytes.length;
    this.sink.write(bytes);
  }
}
