/**
 * The acks of every session, one XACK per stream and group per event-loop turn: the
 * acks that the sessions' frames of one turn carry (with 50 consumers of a group, up to
 * 50 frames) go as one command on a link of the gateway's own. It takes the command
 * path a RESP client's XACK takes (link.ts), so the AOF, followers, keyspace events and
 * the metrics see it; one command instead of one per frame saves each frame's command
 * (its encoding, parsing, dispatch, reply and the reply's decoding).
 *
 * XACK answers with the count acknowledged: a batch that fails (NOGROUP, a bad ID in
 * one frame's IDs) is sent again frame by frame, so each frame gets the answer its own
 * XACK would have. A session's frame other than an ack or a credit sends the acks
 * waiting at once (`flushNow`), so what it does comes after them, as the protocol
 * promises; a ping is also answered only once they are done (`afterAcks`).
 */
import type { Decoded } from '../../protocol/decoder.js';
import { EngineLink, isError, type LinkHost } from './link.js';
import type { GatewayStats } from './stats.js';

/** A frame's acks: `then` gets null once done, or the error its XACK gives (once: `answered`). */
interface Part {
  ids: readonly string[];
  then: (error: string | null) => void;
  answered: boolean;
}

function answer(part: Part, error: string | null): void {
  if (part.answered) return;
  part.answered = true;
  part.then(error);
}

interface Batch {
  ids: string[];
  parts: Part[];
}

/** IDs in one XACK at most: a batch that reaches it goes at once. */
const MAX_IDS = 10_000;

/** The peer the gateway's own link stands for (CLIENT LIST addr). */
const GATEWAY_PEER = { address: '127.0.0.1', port: 0 };

export class AckBatcher {
  private link: EngineLink | null = null;
  private readonly batches = new Map<string, Map<string, Batch>>();
  private scheduled = false;
  /** Batches sent, waiting for their reply. */
  private readonly sent = new Set<Part[]>();
  /** Run once no ack waits (`afterAcks`). */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly host: LinkHost,
    private readonly stats: GatewayStats,
    /** Runs a function at the end of this turn of the event loop (guarded). */
    private readonly endOfTurn: (fn: () => void) => void,
  ) {}

  /** Acknowledges `ids` in `group` of `stream`, with the other acks of this turn. */
  ack(stream: string, group: string, ids: readonly string[], then: (error: string | null) => void): void {
    let byGroup = this.batches.get(stream);
    if (byGroup === undefined) this.batches.set(stream, (byGroup = new Map()));
    let batch = byGroup.get(group);
    if (batch === undefined) byGroup.set(group, (batch = { ids: [], parts: [] }));
    for (const id of ids) batch.ids.push(id);
    batch.parts.push({ ids, then, answered: false });
    if (batch.ids.length >= MAX_IDS) {
      byGroup.delete(group);
      this.send(stream, group, batch);
    } else if (!this.scheduled) {
      this.scheduled = true;
      this.endOfTurn(() => this.flush());
    }
  }

  /**
   * Sends the acks given so far now, not at the end of the turn: a session's frame
   * after its acks then finds them applied (the link runs a command as it gets it).
   */
  flushNow(): void {
    if (this.scheduled) this.flush();
  }

  /** Runs `fn` once every ack given so far is done (at once when none waits). */
  afterAcks(fn: () => void): void {
    if (!this.scheduled && this.sent.size === 0) fn();
    else this.waiting.push(fn);
  }

  /** Stops: what is sent is answered, the link closes. */
  close(): void {
    this.link?.close();
    this.link = null;
  }

  private flush(): void {
    this.scheduled = false;
    for (const [stream, byGroup] of this.batches) for (const [group, batch] of byGroup) this.send(stream, group, batch);
    this.batches.clear();
    this.settled();
  }

  private send(stream: string, group: string, batch: Batch): void {
    const parts = batch.parts;
    this.sent.add(parts);
    this.commands().send(['XACK', stream, group, ...batch.ids], (reply) => {
      if (!isError(reply)) {
        this.acknowledged(reply);
        for (const part of parts) answer(part, null);
        return this.done(parts);
      }
      // Each frame's own XACK, for its own answer.
      let left = parts.length;
      for (const part of parts) {
        this.commands().send(['XACK', stream, group, ...part.ids], (own) => {
          this.acknowledged(own);
          answer(part, isError(own) ? own.error : null);
          if (--left === 0) this.done(parts);
        });
      }
    });
  }

  private acknowledged(reply: Decoded): void {
    if (typeof reply === 'number') this.stats.acked += reply;
  }

  private done(parts: Part[]): void {
    this.sent.delete(parts);
    this.settled();
  }

  private settled(): void {
    if (this.scheduled || this.sent.size > 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const fn of waiting) fn();
  }

  /** The gateway's link, opened again when the broker closed it (CLIENT KILL, `timeout`). */
  private commands(): EngineLink {
    if (this.link !== null && !this.link.isClosed) return this.link;
    const link = new EngineLink(this.host, GATEWAY_PEER, () => 0);
    link.onClose = (reason) => {
      if (this.link === link) this.link = null;
      // Replies that will not come: their frames are told.
      const lost = [...this.sent];
      this.sent.clear();
      for (const parts of lost) for (const part of parts) answer(part, `ERR the broker closed the gateway's connection for acks (${reason})`);
      this.settled();
    };
    return (this.link = link);
  }
}
