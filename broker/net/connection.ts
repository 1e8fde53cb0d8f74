/**
 * One client connection: reads commands off the socket, hands them to dispatch and
 * writes the replies back once per event-loop turn (ARCHITECTURE.md, "Replies").
 */
import type { Socket } from 'node:net';
import { Client } from '../../engine/client.js';
import { RespParser, type LargeCommand } from '../../protocol/parser.js';
import type { Argv, Command } from '../../engine/command.js';
import type { CommandHost, ConnectionHost } from '../server.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Transaction } from '../dispatch/multi.js';

/** A command waiting in the engine's blocking registry: what to count once it ends. */
export interface BlockedCall {
  command: Command<Connection>;
  argv: Argv<Connection>;
  /** Time its first execution took. */
  ms: number;
  /** Error replies counted before it ran: more at the end means it failed. */
  errors: number;
}

/**
 * CLIENT REPLY state. `skip-next` is what CLIENT REPLY SKIP sets; it becomes `skip`
 * for the one command after it, as redis-server's CLIENT_REPLY_SKIP_NEXT/SKIP flags.
 */
export type ReplyMode = 'on' | 'off' | 'skip-next' | 'skip';

export class Connection extends Client {
  name = '';
  readonly parser = new RespParser();
  readonly createdAt = Date.now();
  /** Last time input was read (CLIENT LIST idle, `timeout`); per read, as redis-server. */
  lastInteraction = Date.now();
  /** Full name of the last command run (CLIENT LIST cmd=). */
  lastCommand = 'NULL';
  authenticated: boolean;
  /** Close once the pending replies are written (QUIT, protocol errors, CLIENT KILL). */
  closeAfterReply = false;
  closed = false;
  readonly addr: string;
  readonly laddr: string;
  replyMode: ReplyMode = 'on';
  /** CLIENT NO-EVICT flag. */
  noEvict = false;
  /** In MONITOR mode: receives every command run by anyone. */
  monitor = false;
  /** What the connection is to this broker (CLIENT LIST TYPE); replication marks its links. */
  kind: 'normal' | 'replica' | 'master' = 'normal';
  /** When (unix seconds) output last went over the soft output buffer limit; 0 when under it. */
  softLimitSince = 0;
  /**
   * Group commit (broker/persistence/aof/group-commit.ts): output positions with the AOF offsets they wait
   * for, oldest first; null when no output waits for an fsync.
   */
  syncMarks: number[] | null = null;
  /** What the output produced since the last mark shows: nothing, data ('read'), or a write's result. */
  syncNeed: 'none' | 'read' | 'write' = 'none';
  /** Inside MULTI: the commands queued so far; null otherwise. */
  multi: Transaction | null = null;
  /** A command read but not yet run because the client is paused. */
  private held: string[] | LargeCommand | null = null;
  /** The blocking command (BLPOP, XREAD BLOCK...) this client waits in; input waits too. */
  private blockedCall: BlockedCall | null = null;
  private flushScheduled = false;
  /** Output offset from which a blocked command's late reply is muted (CLIENT REPLY OFF/SKIP), else null. */
  private mutedSince: number | null = null;

  /** The broker as the commands run on this connection see it (broker/commands/). */
  readonly broker: CommandHost;
  /** The broker as the connection itself uses it. */
  private readonly host: ConnectionHost;
  private readonly dispatcher: Dispatcher;

  constructor(
    broker: ConnectionHost & CommandHost,
    readonly socket: Socket,
    id: number,
  ) {
    super(broker.engine, id);
    this.broker = broker;
    this.host = broker;
    this.dispatcher = broker.dispatcher;
    this.authenticated = !broker.authRequired;
    this.parser.unauthenticated = !this.authenticated;
    this.parser.maxBulkLen = broker.config.int('proto-max-bulk-len');
    this.addr = formatAddress(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddress(socket.localAddress, socket.localPort);
    this.reply.onError = (message) => broker.countError(message);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** The socket's file descriptor (CLIENT LIST fd=), -1 when unknown. */
  get fd(): number {
    const handle = (this.socket as unknown as { _handle?: { fd?: number } })._handle;
    return handle?.fd ?? -1;
  }

  /** The command held by CLIENT PAUSE, if any (CLIENT LIST argv-mem). */
  get heldCommand(): string[] | LargeCommand | null {
    return this.held;
  }

  /** Marks the client authenticated (or not), lifting the parser's pre-AUTH limits with it. */
  setAuthenticated(authenticated: boolean): void {
    this.authenticated = authenticated;
    this.parser.unauthenticated = !authenticated;
  }

  private onData(chunk: Buffer): void {
    this.lastInteraction = Date.now();
    this.host.stats.netInputBytes += chunk.length;
    this.host.stats.readsProcessed++;
    this.parser.feed(chunk);
    this.processInput();
  }

  /** Called by dispatch when the command left the client blocked. */
  waitFor(call: BlockedCall): void {
    this.blockedCall = call;
  }

  /** The wait ended (served, timed out, CLIENT UNBLOCK): the broker resumes us after the running command. */
  override unblocked(): void {
    this.dispatcher.resumeAfterCommand(this);
  }

  /** Counts the command that was blocked, then sends its reply and reads on. */
  resume(): void {
    const call = this.blockedCall;
    this.blockedCall = null;
    if (this.mutedSince !== null) {
      this.settleMuted(this.mutedSince);
      this.mutedSince = null;
    }
    if (call !== null) this.dispatcher.recordCall(this, call.command, call.argv, call.ms, this.reply.errors !== call.errors);
    // Not inside another client's command loop: carry on with this client's input later in this turn.
    setImmediate(() => this.processInput());
  }

  /** Runs every complete command in the input, unless paused or blocked. */
  processInput(): void {
    const parser = this.parser;
    while (!this.closed && !this.closeAfterReply && this.blockedCall === null) {
      const argv = this.held ?? parser.next();
      if (argv === null) break;
      this.held = null;
      const ran = this.replyMode === 'on' ? this.dispatcher.dispatch(this, argv) : this.dispatchMuted(argv);
      if (!ran) {
        this.held = argv;
        break;
      }
    }
    if (parser.error !== null && !this.closeAfterReply && !this.closed) {
      this.host.log.info({ client: this.addr }, `Protocol error (${parser.error}) from client`);
      this.reply.error(parser.error);
      this.closeAfterReply = true;
    }
    this.scheduleFlush();
    this.host.replies.betweenCommands();
  }

  /**
   * Dispatch under CLIENT REPLY OFF or SKIP: the command runs, its reply (errors
   * included) is discarded, as redis-server does when adding it to the buffer.
   */
  private dispatchMuted(argv: string[] | LargeCommand): boolean {
    const wasSkipNext = this.replyMode === 'skip-next';
    if (wasSkipNext) this.replyMode = 'skip';
    const mark = this.muteFrom();
    if (!this.dispatcher.dispatch(this, argv)) {
      this.reply.settlePushes(null);
      if (wasSkipNext) this.replyMode = 'skip-next';
      return false;
    }
    // A command that blocked answers later: its reply is dropped then, in resume().
    if (this.blockedCall !== null) this.mutedSince = mark;
    else this.settleMuted(mark);
    return true;
  }

  /** Runs `run` with its output muted as the reply mode says (EXEC's queued commands). */
  muted(run: () => void): void {
    const mark = this.muteFrom();
    run();
    this.settleMuted(mark);
  }

  /** Starts muting: the output offset to drop from, with pushes recorded to keep them. */
  private muteFrom(): number {
    this.reply.trackPushes();
    return this.reply.position;
  }

  /**
   * Drops the output written since `mark`, pushes aside (CLIENT REPLY OFF mutes replies,
   * not pushes, as redis-server's CLIENT_PUSHING flag), if replies are off or skipped
   * now that the command is done: so CLIENT REPLY ON's own +OK is sent. A skip is used up.
   */
  private settleMuted(mark: number): void {
    const mode = this.replyMode;
    this.reply.settlePushes(mode === 'off' || mode === 'skip' ? mark : null);
    if (mode === 'skip') this.replyMode = 'on';
  }

  /** Writes pending replies now; used at the end of a read and for out-of-band replies. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.host.outputLimits.enforce(this)) return;
    // Group commit: output waiting for an fsync stays, and goes when it completes.
    const groupCommit = this.host.persistence.groupCommit;
    const out = groupCommit.takeDurable(this);
    if (out.length > 0) this.write(out);
    if (this.closeAfterReply && !groupCommit.holding(this)) {
      // Close fully once the last reply is written, as redis-server does: a half-closed
      // socket would linger for as long as the peer keeps its side open.
      const socket = this.socket;
      socket.end(() => socket.destroy());
      this.close();
    }
  }

  /**
   * Hands Buffers to the socket: one write for one Buffer, a corked batch (one writev)
   * for a chain.
   */
  private write(out: readonly Buffer[]): void {
    const socket = this.socket;
    let bytes = 0;
    if (out.length === 1) {
      socket.write(out[0]);
      bytes = out[0].length;
    } else {
      socket.cork();
      for (const chunk of out) {
        socket.write(chunk);
        bytes += chunk.length;
      }
      socket.uncork();
    }
    this.host.stats.netOutputBytes += bytes;
    this.host.stats.writesProcessed++;
  }

  /** A message (pub/sub, keyspace event, MONITOR line) was appended: within the output buffer limit, it goes out this turn. */
  override pushed(): void {
    // A message shows data (keyspace events and MONITOR show writes): under group commit it waits like a read.
    if (this.syncNeed === 'none') this.syncNeed = 'read';
    if (!this.host.outputLimits.enforce(this)) this.scheduleFlush();
  }

  /** Flushes at the end of this event-loop turn, with every other client's replies (broker/net/reply-flusher.ts). */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.host.replies.add(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed && !this.closeAfterReply) this.socket.destroy();
    this.host.removeConnection(this);
  }
}

/** `ip:port` as redis-server's anetFormatAddr writes it: IPv6 in brackets, IPv4-mapped as IPv4. */
function formatAddress(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?:0';
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return h.includes(':') ? `[${h}]:${port ?? 0}` : `${h}:${port ?? 0}`;
}
