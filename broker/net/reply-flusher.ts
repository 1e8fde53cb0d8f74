/**
 * Replies go out at the end of the event-loop turn, once every socket that was ready
 * has been read and its commands run, as redis-server writes them in beforeSleep
 * (handleClientsWithPendingWrites). Writing each client's replies as soon as its own
 * read is processed costs a wake-up of the peer per write; written together, many
 * replies share the wake-ups, which at 16 commands per round trip gave 13 to 17% more
 * throughput. And as in beforeSleep, the AOF's pending bytes are written first, so a
 * reply to a write does not leave before the write(2) of its effects.
 *
 * A turn that runs long (slow commands such as XRANGE COUNT 100, many clients) sends
 * what is ready every MAX_HOLD_MS instead of holding the first replies to its end, so
 * that the clients work on them meanwhile (holding them cost 7% on XRANGE).
 *
 * Streamed replies (protocol/reply.ts, `Reply.stream`) are written here in pieces of
 * PIECE_BYTES, a piece per client in turn, each time the client's socket has taken the
 * last one, for at most STREAM_TURN_MS per turn: then the loop reads sockets again,
 * so other clients are served between pieces however large the reply.
 */
// Not the global, a lazy accessor (broker/dispatch/dispatcher.ts).
import { performance } from 'node:perf_hooks';
import type { Connection } from './connection.js';

const MAX_HOLD_MS = 0.25;
/** Bytes of a streamed reply written at once. */
const PIECE_BYTES = 256 * 1024;
/** Time the pieces of streamed replies may take per turn, all clients together. */
const STREAM_TURN_MS = 4;

export class ReplyFlusher {
  private pending: Connection[] = [];
  /** Connections with pushes (pub/sub messages) and no reply queued: written at the end of the turn only. */
  private pushes: Connection[] = [];
  private scheduled = false;
  /** When the oldest reply waiting in `pending` was queued. */
  private since = 0;
  /** Connections whose output continues with a streamed reply's piece, in turn order. */
  private readonly streams = new Set<Connection>();
  private streamsScheduled = false;

  /** `beforeReplies` writes the AOF's pending bytes. */
  constructor(private readonly beforeReplies: () => void) {}

  /** Queues `c`'s output for the end of this turn (the caller queues each connection once). */
  add(c: Connection): void {
    if (this.pending.length === 0) this.since = performance.now();
    this.pending.push(c);
    this.schedule();
  }

  /**
   * Queues `c`'s pushes for the end of this turn, past MAX_HOLD_MS: a subscriber does
   * not wait on them to send its next command, and written in every mid-turn batch a
   * PUBLISH to 50 subscribers at -P 16 made 0.80 write(2)s per PUBLISH against
   * redis-server's 0.13 (one per subscriber per turn, as here now: 0.16).
   */
  addPush(c: Connection): void {
    this.pushes.push(c);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.endOfTurn);
  }

  /**
   * Called at the end of each read, between commands: sends what is ready if it has
   * waited MAX_HOLD_MS by `now` (performance.now() as of the last command's end). Never
   * inside a command, where a flush could split a reply still being built
   * (Reply.beginDeferred).
   */
  betweenCommands(now: number): void {
    if (this.pending.length === 0 || now - this.since <= MAX_HOLD_MS) return;
    this.writeBatch(false);
  }

  /** `c`'s output continues with a streamed reply: its next piece goes in a later turn. */
  stream(c: Connection): void {
    this.streams.add(c);
    if (this.streamsScheduled) return;
    this.streamsScheduled = true;
    setImmediate(this.writePieces);
  }

  /** A piece for each client in turn, again while time is left; the rest in the next turn. */
  private readonly writePieces = (): void => {
    this.streamsScheduled = false;
    const started = performance.now();
    let timeLeft = true;
    while (this.streams.size > 0 && timeLeft) {
      for (const c of [...this.streams]) {
        // A client with more to write adds itself back, at the end.
        this.streams.delete(c);
        c.writeNextPiece(PIECE_BYTES);
        if (performance.now() - started >= STREAM_TURN_MS) {
          timeLeft = false;
          break;
        }
      }
    }
    if (this.streams.size > 0 && !this.streamsScheduled) {
      this.streamsScheduled = true;
      setImmediate(this.writePieces);
    }
  };

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.writeBatch(true);
  };

  private writeBatch(withPushes: boolean): void {
    this.beforeReplies();
    // Flushing can queue more (a close waking someone): those go in the next batch.
    const batch = this.pending;
    this.pending = [];
    for (const c of batch) c.flush();
    if (!withPushes) return;
    const pushes = this.pushes;
    this.pushes = [];
    for (const c of pushes) c.flush();
  }
}
