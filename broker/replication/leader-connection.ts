/**
 * The link from this broker's leader once the command stream flows, as redis-server's
 * `server.master` client: a connection (CLIENT LIST flags=M, CLIENT KILL TYPE master)
 * whose commands run through dispatch like anyone's, with what redis-server grants its
 * master: no authentication, no bulk length or query buffer limit, no replies (the
 * leader reads none but REPLCONF ACK, which the link writes itself; they are not even
 * built: its writer is a `DiscardingReply`, as redis-server's prepareClientToWrite
 * refuses its master),
 * keys past their expiry still visible (engine/client.ts `fromLeader`), its commands
 * obeyed past the limits set for clients (`mustObey`), and writes on a read-only
 * follower (dispatch exempts the `master` kind).
 *
 * After each command the link counts its offset: the bytes of whole commands applied,
 * held still inside MULTI so that a transaction counts once its EXEC has run (as
 * redis-server's commandProcessed).
 */
import type { Socket } from 'node:net';
import { Connection } from '../net/connection.js';
import { DiscardingReply } from '../../protocol/discarding-reply.js';
import type { CommandHost, ConnectionHost } from '../server.js';

export class LeaderConnection extends Connection {
  constructor(
    broker: ConnectionHost & CommandHost,
    socket: Socket,
    id: number,
    /** Called after each whole command (a whole transaction) was applied. */
    private readonly applied: (c: LeaderConnection) => void,
    /** REPLCONF GETACK: the link sends its acknowledgement now. */
    readonly ackNow: () => void,
  ) {
    super(broker, socket, id, false, new DiscardingReply());
    this.kind = 'master';
    this.fromLeader = true;
    this.mustObey = true;
    // The stream is RESP from its first byte: no sniffing for a metrics scrape.
    this.firstBytes = null;
    this.setAuthenticated(true);
    this.parser.maxBulkLen = Number.MAX_SAFE_INTEGER;
    // A command of the stream that fails here (a type this broker lacks, a diverged
    // dataset) is said loudly, in redis-server's words: the leader never sees the error.
    this.reply.onError = (message) => {
      broker.countError(message);
      broker.log.warn(`== CRITICAL == This replica is sending an error to its master: '${message}' after processing the command '${this.lastCommand}'`);
    };
  }

  /** A read of the link (net/direct-read.ts's way, by the follower): a Buffer never written again, so the parser keeps it as it is. */
  input(chunk: Buffer): void {
    this.onData(chunk);
  }

  /** Nothing to write: the replies were not built. */
  override flush(): void {
    if (this.closeAfterReply) this.close();
  }

  protected override commandProcessed(): void {
    if (this.multi === null) this.applied(this);
  }
}
