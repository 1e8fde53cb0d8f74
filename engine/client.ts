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

  constructor(
    readonly engine: Engine,
    readonly id: number,
  ) {
    this.db = engine.dbs[0];
  }
}
