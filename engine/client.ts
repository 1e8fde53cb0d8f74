/**
 * What the engine knows of a client: its selected db and where its replies go.
 * The broker's connection extends this with everything socket-related.
 */
import { Reply } from '../protocol/reply.js';
import type { Db } from './keyspace.js';
import type { Engine } from './engine.js';

export class Client {
  db: Db;
  readonly reply = new Reply(2);
  /**
   * True while the client's commands run inside EXEC: a blocking command then must
   * not wait, and answers at once as if its timeout had expired (redis-server's
   * CLIENT_DENY_BLOCKING).
   */
  denyBlocking = false;

  constructor(
    readonly engine: Engine,
    readonly id: number,
  ) {
    this.db = engine.dbs[0];
  }

  /**
   * Called when a blocking wait ends (served, timed out or unblocked) outside this
   * client's own command; the broker's connection resumes reading its input here.
   */
  unblocked(): void {}
}
