/**
 * What the engine knows of a client: its selected db and where its replies go.
 * The broker's connection extends this with everything socket-related.
 */
import { Reply } from '../protocol/reply.js';
import type { Db } from './keyspace.js';
import type { Engine } from './engine.js';
import type { Subscriptions } from './pubsub.js';
import type { ClientTracking } from './tracking.js';

export class Client {
  db: Db;
  /** Pub/sub subscriptions; null when there are none (not in subscribed mode). */
  subscriptions: Subscriptions | null = null;
  /** CLIENT TRACKING's mode; null while tracking is off (engine/tracking.ts). */
  tracking: ClientTracking | null = null;
  /**
   * True while the client's commands run inside EXEC: a blocking command then must
   * not wait, and answers at once as if its timeout had expired (redis-server's
   * CLIENT_DENY_BLOCKING).
   */
  denyBlocking = false;
  /**
   * While a script's commands run on this client (redis-server's CLIENT_SCRIPT on its
   * Lua client): the keys the script declared (its EVAL's or FCALL's), which a read
   * inside it remembers for CLIENT TRACKING; null otherwise.
   */
  scriptKeys: readonly string[] | null = null;
  /**
   * The link from this broker's leader, when it follows one (broker/replication/): it
   * sees keys past their expiry as alive, since only the leader's DEL removes them
   * (redis-server's expireIfNeeded for `server.master`).
   */
  fromLeader = false;
  /**
   * Commands applied as they come, past the limits that guard against clients
   * (redis-server's mustObeyClient): set for the AOF loader and the link from a leader,
   * so that APPEND and SETRANGE apply past a `proto-max-bulk-len` lower than where they
   * were written.
   */
  mustObey = false;
  /**
   * Its command has not ended yet (a script past busy-reply-threshold, continuing in
   * later turns): dispatch holds its input as for a blocked client until `unblocked()`.
   */
  suspended = false;

  constructor(
    readonly engine: Engine,
    readonly id: number,
    /** Where its replies go: a `DiscardingReply` (protocol/) for a client whose replies nobody reads. */
    readonly reply: Reply = new Reply(2),
  ) {
    this.db = engine.dbs[0];
  }

  /**
   * Called when a blocking wait ends (served, timed out or unblocked) outside this
   * client's own command; the broker's connection resumes reading its input here.
   */
  unblocked(): void {}

  /**
   * Called after a published message was appended to this client's reply (by any
   * client's PUBLISH, its own included); the broker's connection schedules the write
   * and checks its output buffer limit here.
   */
  pushed(): void {}
}
