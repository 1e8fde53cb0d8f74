/**
 * One client connection: reads commands off the socket, hands them to dispatch and
 * writes the replies back once per event-loop turn (ARCHITECTURE.md, "Replies").
 *
 * A client's memory (output buffer limits, maxmemory-clients) is checked after each
 * write, and between commands once their output grew by LIMIT_CHECK_STEP (after every
 * command before AUTH); one client's long pipeline does not hold the event loop: after
 * INPUT_BUDGET_MS of commands it yields, and reading stops until its input is consumed
 * (redis-server reads 16 KB per event instead). Where redis-server keeps reading the
 * input of a blocked or paused client into its query buffer, this one stops reading it
 * past INPUT_HOLD_BYTES: the peer waits on TCP instead of the broker holding its input.
 */
import type { Socket } from 'node:net';
// Not the global, a lazy accessor (broker/dispatch/dispatcher.ts).
import { performance } from 'node:perf_hooks';
import { Client } from '../../engine/client.js';
import { RespParser, type LargeCommand } from '../../protocol/parser.js';
import { sent, type Reply } from '../../protocol/reply.js';
import { argsOf, type Arg, type Argv, type Command } from '../../engine/command.js';
import type { CommandHost, ConnectionHost } from '../server.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { clientInfoLine } from '../commands/client.js';
import type { Transaction } from '../dispatch/multi.js';
import { formatResponse, parseHead, sniff } from './resp-http.js';
import { UNACCOUNTED } from './client-memory.js';
import { afterTrackedCommand } from '../commands/tracking.js';
import { readDirectly } from './direct-read.js';
import { DirectWrites } from './direct-write.js';

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

/** Time one client's input may run for before the others get their turn. */
const INPUT_BUDGET_MS = 10;
/** Input held for a blocked or paused client beyond which reading its socket stops. */
const INPUT_HOLD_BYTES = 1024 * 1024;
/**
 * Between commands the limits are checked again once the reply grew by this much (every
 * command for a client that has not authenticated, whose limit is this small): checking
 * after each small reply cost 10-15% of pipelined GET throughput.
 */
const LIMIT_CHECK_STEP = 16 * 1024;
/** Commands between two looks at the clock against INPUT_BUDGET_MS. */
const BUDGET_CHECK_EVERY = 8;
/**
 * Streamed replies (Reply.stream) a client may have waiting before its input waits too:
 * each holds a frozen range that output limits do not see.
 */
const MAX_STREAMED_REPLIES = 4;

export class Connection extends Client {
  name = '';
  readonly parser = new RespParser();
  /**
   * A read from the buffer shared by all clients (net/direct-read.ts) while its commands
   * run, else null; `request` is the command taken from the input last and
   * `requestPending` the parser's unconsumed bytes before it (-1: it was held). So the
   * running command's bytes can be found in the read, which the replication stream copies
   * when they are its effect's (replication/replication.ts).
   */
  readChunk: Buffer | null = null;
  request: string[] | LargeCommand | null = null;
  requestPending = -1;
  readonly createdAt = Date.now();
  /** Last time input was read (CLIENT LIST idle, `timeout`); per read, by the cron's clock, as redis-server (server.unixtime). */
  lastInteraction = Date.now();
  /** Full name of the last command run (CLIENT LIST cmd=). */
  lastCommand = 'NULL';
  authenticated: boolean;
  /** Close once the pending replies are written (QUIT, protocol errors, CLIENT KILL). */
  closeAfterReply = false;
  closed = false;
  /** `addr` and `laddr`, formatted when first asked for (CLIENT LIST, logs): most connections never are. */
  private peer: string | null = null;
  private local: string | null = null;
  replyMode: ReplyMode = 'on';
  /** CLIENT NO-EVICT flag. */
  noEvict = false;
  /** In MONITOR mode: receives every command run by anyone. */
  monitor = false;
  /** What the connection is to this broker (CLIENT LIST TYPE); replication marks its links. */
  kind: 'normal' | 'replica' | 'master' = 'normal';
  /**
   * Output is kept, not written: a follower's stream while its full resync's payload
   * goes to the socket directly (broker/replication/leader.ts).
   */
  outputHeld = false;
  /** When (unix seconds) output last went over the soft output buffer limit; 0 when under it. */
  softLimitSince = 0;
  /**
   * Group commit (broker/persistence/aof/group-commit.ts): output positions with the AOF offsets they wait
   * for, oldest first; null when no output waits for an fsync.
   */
  syncMarks: number[] | null = null;
  /** What the output produced since the last mark shows: nothing, data ('read'), or a write's result. */
  syncNeed: 'none' | 'read' | 'write' = 'none';
  /** The most output a flush found waiting for the socket since the last reset, every 5 s (CLIENT LIST rbp). */
  outputPeak = 0;
  /** What ClientMemory last accounted this client at (bytes), and in which of its totals. */
  accountedBytes = 0;
  accountedClass = UNACCOUNTED;
  /** Inside MULTI: the commands queued so far; null otherwise. */
  multi: Transaction | null = null;
  /** A command read but not yet run because the client is paused. */
  private held: string[] | LargeCommand | null = null;
  /** The blocking command (BLPOP, XREAD BLOCK...) this client waits in; input waits too. */
  private blockedCall: BlockedCall | null = null;
  private flushScheduled = false;
  /** Queued for the end of the turn with pushes only (`pushed`); a reply still queues it with replies. */
  private pushScheduled = false;
  /** processInput stopped at its time budget and continues in a later turn. */
  private inputYielded = false;
  /** processInput stopped at MAX_STREAMED_REPLIES and continues once one is complete. */
  private inputAfterStreams = false;
  /** `reply.position` when the limits were last checked. */
  private checkedAt = 0;
  /** Output offset from which a blocked command's late reply is muted (CLIENT REPLY OFF/SKIP), else null. */
  private mutedSince: number | null = null;
  /** Writes to the socket's handle past its Writable (net/direct-write.ts); null until `useDirectIo`, or where Node lacks them. */
  private directWrites: DirectWrites | null = null;
  /** The first bytes read, while they may still be a scrape's request line (resp-http.ts); null once RESP. */
  protected firstBytes: Buffer | null;

  /** The broker as the commands run on this connection see it (broker/commands/). */
  readonly broker: CommandHost;
  /** The broker as the connection itself uses it. */
  private readonly host: ConnectionHost;
  private readonly dispatcher: Dispatcher;

  constructor(
    broker: ConnectionHost & CommandHost,
    readonly socket: Socket,
    id: number,
    directIo = false,
    reply?: Reply,
  ) {
    super(broker.engine, id, reply);
    this.broker = broker;
    this.host = broker;
    this.dispatcher = broker.dispatcher;
    this.authenticated = !broker.authRequired;
    this.parser.unauthenticated = !this.authenticated;
    this.parser.maxBulkLen = broker.config.int('proto-max-bulk-len');
    this.reply.onError = (message) => broker.countError(message);
    this.reply.streamable = true;
    this.firstBytes = broker.respPortHttp !== null ? Buffer.alloc(0) : null;
    socket.setNoDelay(true);
    if (!directIo || !this.useDirectIo()) socket.on('data', broker.guard('reading from a client', (chunk: Buffer) => this.onData(chunk), this));
    socket.on('error', broker.guard('on a client socket error', () => this.close(), this));
    socket.on('close', broker.guard('closing a client', () => this.close(), this));
    // The peer closed its side: with nothing left to write, the client ends here, as
    // redis-server frees it on a read of 0 bytes, without the shutdown(2) and its round
    // trip that Node's half-close (end() on 'end') would do first.
    socket.on('end', broker.guard('at the end of a client\'s input', () => {
      if (this.nothingToWrite()) this.close();
    }, this));
    // Output left for the kernel went out: the client holds less memory, and a streamed reply goes on.
    socket.on('drain', broker.guard('after a client socket drained', () => this.drained(), this));
  }

  /** `ip:port` of the peer (CLIENT LIST addr). */
  get addr(): string {
    return (this.peer ??= formatAddress(this.socket.remoteAddress, this.socket.remotePort));
  }

  /** `ip:port` of this end (CLIENT LIST laddr). */
  get laddr(): string {
    return (this.local ??= formatAddress(this.socket.localAddress, this.socket.localPort));
  }

  /**
   * Unsent output in bytes: the reply being built plus what the socket holds for the
   * kernel. The one measure of a client's output (limits, eviction, INFO, CLIENT LIST).
   */
  get outputBytes(): number {
    return this.reply.length + this.socketBytes;
  }

  /** Output handed to the socket that the kernel has not taken yet (CLIENT LIST omem). */
  get socketBytes(): number {
    return this.socket.writableLength + (this.directWrites === null ? 0 : this.directWrites.pending);
  }

  /** Input read but not yet run (CLIENT LIST qbuf). */
  get queryBufferBytes(): number {
    return this.parser.pendingBytes;
  }

  /** The socket's file descriptor (CLIENT LIST fd=), -1 when unknown. */
  get fd(): number {
    const handle = (this.socket as unknown as { _handle?: { fd?: number } })._handle;
    return handle?.fd ?? -1;
  }

  /** The arguments of the blocking command this client waits in, if any (CLIENT LIST argv-mem: redis-server keeps them). */
  get blockedArgs(): readonly Arg[] | null {
    return this.blockedCall === null ? null : argsOf(this.blockedCall.argv);
  }

  /** The command held by CLIENT PAUSE, if any (CLIENT LIST argv-mem). */
  get heldCommand(): string[] | LargeCommand | null {
    return this.held;
  }

  /**
   * Reads the socket into the buffer shared by all clients (net/direct-read.ts) rather
   * than through 'data' events, and writes replies to its handle past its Writable
   * (net/direct-write.ts). Accepted clients do; the link from a leader (which counts its
   * input on 'data') does not. False when this Node cannot read so: 'data' events it is.
   */
  private useDirectIo(): boolean {
    const host = this.host;
    if (!readDirectly(this.socket, host.guard('reading from a client', (chunk: Buffer) => this.onSharedData(chunk), this))) return false;
    this.directWrites = DirectWrites.for(this.socket, host.guard('after a write to a client', (status: number) => this.wrote(status), this));
    return true;
  }

  /** No reply waits to be built, written, streamed or released (group commit, a follower's held stream). */
  private nothingToWrite(): boolean {
    return !this.flushScheduled && !this.pushScheduled && !this.outputHeld && this.syncMarks === null && this.reply.streams === 0 && this.outputBytes === 0;
  }

  /** A write that the kernel took in part is complete (status 0, then as 'drain'), or failed. */
  private wrote(status: number): void {
    if (status < 0) this.close();
    else if (!this.closed) this.drained();
  }

  /** A read into the shared buffer: what the parser has not consumed is copied before the buffer is read into again. */
  private onSharedData(chunk: Buffer): void {
    this.readChunk = chunk;
    try {
      this.onData(chunk);
    } finally {
      this.readChunk = null;
    }
    this.parser.keepInput();
  }

  /** Marks the client authenticated (or not), lifting the parser's pre-AUTH limits with it. */
  setAuthenticated(authenticated: boolean): void {
    this.authenticated = authenticated;
    this.parser.unauthenticated = !authenticated;
  }

  protected onData(chunk: Buffer): void {
    this.lastInteraction = this.host.clockMs;
    if (this.kind === 'master') this.host.stats.netReplInputBytes += chunk.length;
    else this.host.stats.netInputBytes += chunk.length;
    this.host.stats.readsProcessed++;
    if (this.firstBytes !== null) {
      const input = this.sniffInput(chunk);
      if (input === null) return;
      chunk = input;
    }
    this.parser.feed(chunk);
    if (this.queryBufferBytes > this.host.clientMemory.queryBufferLimit && this.kind !== 'master') {
      this.host.log.warn(`Closing client that reached max query buffer length: ${clientInfoLine(this)}`);
      this.close();
      return;
    }
    this.processInput();
  }

  /** The input to parse as RESP, or null while the first bytes may be (or are) a scrape. */
  private sniffInput(chunk: Buffer): Buffer | null {
    const head = Buffer.concat([this.firstBytes!, chunk]);
    const kind = sniff(head);
    if (kind === 'resp') {
      this.firstBytes = null;
      return head;
    }
    this.firstBytes = head;
    if (kind === 'http') this.answerScrape(head);
    return null;
  }

  /** Answers a `GET /metrics` read off the RESP port once its head is complete, then closes. */
  private answerScrape(bytes: Buffer): void {
    const head = parseHead(bytes);
    if (head === null) return;
    this.socket.pause();
    if (head === 'bad') return this.close();
    void this.host.respPortHttp!(head).then(
      (response) => {
        if (this.closed) return;
        const out = formatResponse(response);
        this.host.stats.netOutputBytes += out.length;
        this.closeAfterReply = true;
        const socket = this.socket;
        socket.end(out, () => socket.destroy());
        this.close();
      },
      (err: unknown) => {
        this.host.log.warn({ err, client: this.addr }, 'Could not answer a scrape on the RESP port');
        this.close();
      },
    );
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
    setImmediate(() => this.continueInput());
  }

  /** processInput from a later turn (a wait or CLIENT PAUSE ended, or the time budget ran out), guarded. */
  continueInput(): void {
    this.inputYielded = false;
    this.host.guard("running a client's input", () => this.processInput(), this)();
  }

  /**
   * Runs the complete commands in the input, unless paused or blocked, for at most
   * INPUT_BUDGET_MS: the rest waits for a later turn, after other clients' reads.
   */
  processInput(): void {
    const parser = this.parser;
    // The clock starts only once input is left after a command: a read of one command (no pipelining) never needs it.
    let started = -1;
    let ran = 0;
    while (!this.closed && !this.closeAfterReply && this.blockedCall === null && this.reply.streams < MAX_STREAMED_REPLIES) {
      const pending = this.held === null ? parser.pendingBytes : -1;
      const argv = this.held ?? parser.next();
      if (argv === null) break;
      this.request = argv;
      this.requestPending = pending;
      this.held = null;
      if (started < 0 && parser.pendingBytes !== 0) started = performance.now();
      if (!this.runCommand(argv, ran !== 0)) {
        this.held = argv;
        break;
      }
      if (this.tracking !== null) afterTrackedCommand(this);
      this.commandProcessed();
      // Small output is checked once written (flush, at the end of this turn).
      if ((!this.authenticated || this.reply.position - this.checkedAt >= LIMIT_CHECK_STEP) && this.overLimits()) return;
      if (++ran % BUDGET_CHECK_EVERY === 0 && started >= 0 && performance.now() - started > INPUT_BUDGET_MS) {
        this.inputYielded = true;
        setImmediate(() => this.continueInput());
        break;
      }
    }
    if (this.closed) return;
    if (this.reply.streams >= MAX_STREAMED_REPLIES) this.inputAfterStreams = true;
    if (parser.error !== null && !this.closeAfterReply) {
      this.host.log.info({ client: this.addr }, `Protocol error (${parser.error}) from client`);
      this.reply.error(parser.error);
      this.closeAfterReply = true;
    }
    this.updateReading();
    this.scheduleFlush();
    this.host.replies.betweenCommands(this.dispatcher.lastCallEnd);
  }

  /** After each command of the input has run (the link from a leader counts its offset here). */
  protected commandProcessed(): void {}

  /**
   * Dispatches one command. A failure of the broker's own code around it (the engine
   * already turns a handler's into an error reply) is logged with the command; the
   * client gets an error reply unless the command had already answered.
   */
  private runCommand(argv: string[] | LargeCommand, follows: boolean): boolean {
    const before = this.reply.position;
    try {
      return this.replyMode === 'on' ? this.dispatcher.dispatch(this, argv, follows) : this.dispatchMuted(argv);
    } catch (err) {
      const first = Array.isArray(argv) ? argv[0] : argv.args[0];
      const name = typeof first === 'string' ? first.toLowerCase() : '';
      this.host.log.error({ err, command: name, client: this.addr }, `Internal error executing '${name}'`);
      if (this.reply.position === before) this.reply.error(`ERR internal error executing '${name}'`);
      return true;
    }
  }

  /** Checks output buffer limits and maxmemory-clients after output or input grew; true when this client is gone. */
  private overLimits(): boolean {
    const host = this.host;
    const output = this.outputBytes;
    this.checkedAt = this.reply.position;
    if (host.outputLimits.enforce(this, output)) return true;
    host.clientMemory.update(this, output);
    host.clientMemory.evictIfOver();
    return this.closed;
  }

  /** Stops reading while input waits (budget used up, or blocked/paused with much held); reads again once it has run. */
  private updateReading(): void {
    const waiting = this.blockedCall !== null || this.held !== null || this.inputAfterStreams;
    const hold = this.inputYielded || (waiting && this.queryBufferBytes > INPUT_HOLD_BYTES);
    if (hold && !this.socket.isPaused()) this.socket.pause();
    else if (!hold && this.socket.isPaused()) this.socket.resume();
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

  /**
   * Runs `run` with its output muted as the reply mode says (EXEC's queued commands).
   * Inside a command that is muted itself (EXEC under CLIENT REPLY OFF), the outer mute
   * settles everything once it is done.
   */
  muted(run: () => void): void {
    if (this.reply.tracksPushes) return run();
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
    this.pushScheduled = false;
    if (this.closed) return;
    if (this.outputHeld) {
      this.host.outputLimits.enforce(this);
      return;
    }
    const pending = this.reply.length;
    if (pending > this.outputPeak) this.outputPeak = pending;
    // Group commit: output waiting for an fsync stays, and goes when it completes.
    const groupCommit = this.host.persistence.groupCommit;
    const out = groupCommit.takeDurable(this);
    if (out.length > 0) this.write(out);
    if (this.closed) return;
    // The limits and the memory after the write: what the socket could not take and what
    // the turn's commands left (input, held output) count. Over a limit, the socket is
    // destroyed with what it still holds.
    if (this.overLimits()) return;
    // A streamed reply goes on in pieces once what precedes it is out (reply-flusher.ts).
    if (this.reply.streams > 0) {
      if (this.reply.producerNext) this.host.replies.stream(this);
      return;
    }
    if (this.closeAfterReply && !groupCommit.holding(this)) {
      // Close fully once the last reply is written, as redis-server does: a half-closed
      // socket would linger for as long as the peer keeps its side open.
      const socket = this.socket;
      socket.end(() => socket.destroy());
      this.close();
    }
  }

  /**
   * Writes the next piece (about `budget` bytes) of the streamed reply the output has
   * reached, then what may follow it; called by the reply flusher in its turn. A socket
   * that has not drained the last piece gets the next one on 'drain'.
   */
  writeNextPiece(budget: number): void {
    if (this.closed || this.socket.writableNeedDrain || (this.directWrites !== null && this.directWrites.pending > 0)) return;
    this.host.guard('writing a streamed reply', () => {
      const out = this.reply.produce(budget);
      if (out.length > 0) this.write(out);
      if (this.inputAfterStreams && this.reply.streams < MAX_STREAMED_REPLIES) {
        this.inputAfterStreams = false;
        setImmediate(() => this.continueInput());
      }
      this.flush();
    }, this)();
  }

  /** The socket handed its output to the kernel. */
  private drained(): void {
    this.host.clientMemory.update(this);
    if (this.reply.producerNext) this.host.replies.stream(this);
  }

  /**
   * Hands Buffers to the socket: one write for one Buffer, one writev for a chain;
   * directly to the handle when nothing waits in the socket's Writable, else through it
   * (a corked batch for a chain). A direct write that fails ends the client, as the
   * Writable's error would.
   */
  private write(out: readonly Buffer[]): void {
    const socket = this.socket;
    let bytes = 0;
    const direct = this.directWrites;
    if (direct !== null && direct.usable) {
      const written = direct.write(out);
      if (written < 0) return this.close();
      // Taken whole by the kernel: the reply writer may write over those bytes.
      if (written === 0) sent(out);
      for (const chunk of out) bytes += chunk.length;
    } else if (out.length === 1) {
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
    if (this.kind === 'replica') this.host.stats.netReplOutputBytes += bytes;
    else this.host.stats.netOutputBytes += bytes;
    this.host.stats.writesProcessed++;
  }

  /** A message (pub/sub, keyspace event, MONITOR line) was appended: within the output buffer limit, it goes out this turn. */
  override pushed(): void {
    // A message shows data (keyspace events and MONITOR show writes): under group commit it waits like a read.
    if (this.syncNeed === 'none') this.syncNeed = 'read';
    const output = this.outputBytes;
    if (this.host.outputLimits.enforce(this, output)) return;
    this.host.clientMemory.update(this, output);
    // Pushes wait for the end of the turn, not for a mid-turn batch (reply-flusher.ts).
    if (this.flushScheduled || this.pushScheduled) return;
    this.pushScheduled = true;
    this.host.replies.addPush(this);
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
    this.reply.dropProducers();
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
