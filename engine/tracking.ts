/**
 * Client-side caching (CLIENT TRACKING), as redis-server 7.0's tracking.c: which
 * clients may hold which keys, and the invalidation messages sent when a key changes.
 *
 * - Default mode: the keys a tracking client reads (a readonly command's keys) are
 *   remembered in a table from key name to client ids, across all databases as in
 *   redis-server; a change to the key (`Engine.signalModifiedKey`: writes, expiry,
 *   eviction) sends `invalidate [key]` to each of them and forgets the key. OPTIN
 *   remembers only after CLIENT CACHING YES, OPTOUT not after CLIENT CACHING NO.
 * - BCAST: a client registers prefixes; every key changed under one of them is
 *   collected, and at the end of the event-loop turn (redis-server's beforeSleep) each
 *   prefix's clients get one message with all its keys, sorted as redis-server's
 *   radix tree keeps them.
 * - A message goes as a RESP3 push, or, for a client redirecting (REDIRECT id) to a
 *   RESP2 connection in subscribed mode, as a `message` on `__redis__:invalidate`.
 *   FLUSHDB/FLUSHALL send a null instead of keys, to every tracking client.
 * - A message to the client whose command is running waits until the command (the
 *   whole EXEC) is done, so it follows the reply; NOLOOP drops the client's own changes.
 *
 * Where this differs on purpose: over `tracking-table-max-keys`, redis-server forgets
 * random keys (a random walk of its radix tree); this forgets the oldest remembered
 * ones, which a JS Map gives in O(1). Either way their clients get an invalidation.
 */
import type { Client } from './client.js';
import { Flag, type Arg, type Command } from './command.js';

/** One client's tracking mode (redis-server's CLIENT_TRACKING_* flags and its redirection). */
export class ClientTracking {
  /** The client id messages go to; 0 for the client itself. */
  redirect = 0;
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT CACHING YES (in OPTIN) or NO (in OPTOUT) was given for the next command. */
  caching = false;
  /** The redirection's client is gone (CLIENT LIST flag R, TRACKINGINFO broken_redirect). */
  brokenRedirect = false;
  /** BCAST prefixes, in the order given. */
  readonly prefixes = new Set<string>();
}

export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: readonly string[];
}

/** A BCAST prefix: the keys changed under it this turn (with who changed each last), and its clients. */
interface PrefixState {
  keys: Map<string, Client | null>;
  readonly clients: Set<Client>;
}

/** What a message carries: key names, or the null that means "every key" (a flush), in the tracking client's protocol. */
type Payload = readonly string[] | { nullFor: 2 | 3 };

const CHANNEL = '__redis__:invalidate';

export class Tracking {
  /** Clients with tracking on (INFO tracking_clients). */
  clients = 0;
  /** tracking-table-max-keys: 0 for no limit. */
  maxKeys = 1_000_000;
  /** Finds a client by id (the broker's connections): redirections and the table hold ids, as redis-server's. */
  clientById: (id: number) => Client | undefined = () => undefined;
  /** Key positions of a command line (the broker's key-spec interpreter, as COMMAND GETKEYS). */
  keysOf: (command: Command<Client>, argv: readonly string[]) => readonly number[] = () => [];
  /** Asks for `broadcast()` at the end of this event-loop turn (the broker's scheduler). */
  requestBroadcast: () => void = () => undefined;

  /** Key name -> ids of the clients that may cache it. */
  private readonly table = new Map<string, Set<number>>();
  /** Ids across the whole table (INFO tracking_total_items). */
  private items = 0;
  private readonly prefixTable = new Map<string, PrefixState>();
  /** Messages for the running command's own client, sent after it (null: a flush). */
  private pending: (string | null)[] = [];
  private readonly tracking = new Set<Client>();
  private broadcastRequested = false;
  /** Consecutive limit checks that could not get under the limit (redis-server's timeout_counter). */
  private limitRounds = 0;

  get totalKeys(): number {
    return this.table.size;
  }

  get totalItems(): number {
    return this.items;
  }

  get totalPrefixes(): number {
    return this.prefixTable.size;
  }

  /** enableTracking: on, with these options replacing the previous ones (prefixes add up). */
  enable(c: Client, options: TrackingOptions): void {
    let t = c.tracking;
    if (t === null) {
      t = c.tracking = new ClientTracking();
      this.clients++;
      this.tracking.add(c);
    }
    t.brokenRedirect = false;
    t.redirect = options.redirect;
    t.bcast = options.bcast;
    t.optin = options.optin;
    t.optout = options.optout;
    t.noloop = options.noloop;
    if (!options.bcast) return;
    const prefixes = options.prefixes.length === 0 ? [''] : options.prefixes;
    for (const prefix of prefixes) {
      let state = this.prefixTable.get(prefix);
      if (state === undefined) this.prefixTable.set(prefix, (state = { keys: new Map(), clients: new Set() }));
      state.clients.add(c);
      t.prefixes.add(prefix);
    }
  }

  /** disableTracking (CLIENT TRACKING off, RESET, disconnection): the table forgets the client's ids lazily. */
  disable(c: Client): void {
    const t = c.tracking;
    if (t === null) return;
    for (const prefix of t.prefixes) {
      const state = this.prefixTable.get(prefix)!;
      state.clients.delete(c);
      if (state.clients.size === 0) this.prefixTable.delete(prefix);
    }
    c.tracking = null;
    this.clients--;
    this.tracking.delete(c);
  }

  /** trackingRememberKeys: after a readonly command of a tracking client not in BCAST mode. */
  remember(c: Client, command: Command<Client>, argv: readonly Arg[]): void {
    const t = c.tracking!;
    if ((t.optin && !t.caching) || (t.optout && t.caching) || command.has(Flag.PubSub)) return;
    const line = argv as readonly string[];
    for (const pos of this.keysOf(command, line)) this.rememberKey(c, line[pos]);
  }

  /**
   * A read by a script's command: the keys the script declared are remembered, not the
   * command's (redis-server 7.0 remembers its caller's EVAL or FCALL keys).
   */
  rememberScriptKeys(c: Client, keys: readonly string[]): void {
    const t = c.tracking!;
    if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
    for (const key of keys) this.rememberKey(c, key);
  }

  private rememberKey(c: Client, key: string): void {
    let ids = this.table.get(key);
    if (ids === undefined) this.table.set(key, (ids = new Set()));
    if (!ids.has(c.id)) {
      ids.add(c.id);
      this.items++;
    }
  }

  /**
   * trackingInvalidateKey: `key` changed (by `current`'s command, or by nobody's: the
   * expire cycle, eviction). `bcast` false when the table only forgets the key (the limit).
   */
  invalidateKey(key: string, current: Client | null, bcast = true): void {
    if (bcast && this.prefixTable.size > 0) this.rememberForBroadcast(key, current);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.clientById(id);
      const t = target?.tracking;
      // Ids of clients gone or switched off or to BCAST since they read the key.
      if (t == null || t.bcast) continue;
      if (t.noloop && target === current) continue;
      if (target === current) this.pending.push(key);
      else this.send(target!, [key]);
    }
    this.items -= ids.size;
    this.table.delete(key);
  }

  /** trackingInvalidateKeysOnFlush: every tracking client gets a null, and the table is emptied. */
  invalidateAll(current: Client | null): void {
    for (const c of this.tracking) {
      if (c === current) this.pending.push(null);
      else this.send(c, { nullFor: c.reply.resp });
    }
    this.table.clear();
    this.items = 0;
  }

  /** trackingHandlePendingKeyInvalidations: after the outermost command of `c`. */
  flushPending(c: Client): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    if (c.tracking === null) return;
    for (const key of pending) this.send(c, key === null ? { nullFor: c.reply.resp } : [key]);
  }

  /** trackingBroadcastInvalidationMessages: each prefix's changed keys to its clients, once per turn. */
  broadcast(): void {
    this.broadcastRequested = false;
    if (this.clients === 0) return;
    for (const prefix of [...this.prefixTable.keys()].sort()) {
      const state = this.prefixTable.get(prefix)!;
      if (state.keys.size === 0) continue;
      const changed = state.keys;
      state.keys = new Map();
      const keys = [...changed.keys()].sort();
      for (const c of state.clients) {
        if (!c.tracking!.noloop) this.send(c, keys);
        else {
          const others = keys.filter((k) => changed.get(k) !== c);
          if (others.length > 0) this.send(c, others);
        }
      }
    }
  }

  /**
   * trackingLimitUsedSlots, before each command while clients track: over
   * `tracking-table-max-keys`, forgets keys (invalidating them) with an effort that
   * grows while it cannot get under the limit.
   */
  enforceLimit(): void {
    if (this.maxKeys === 0 || this.table.size <= this.maxKeys) {
      this.limitRounds = 0;
      return;
    }
    let effort = 100 * (this.limitRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(key, null, false);
      if (this.table.size <= this.maxKeys) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }

  private rememberForBroadcast(key: string, current: Client | null): void {
    let added = false;
    for (const [prefix, state] of this.prefixTable) {
      if (!key.startsWith(prefix)) continue;
      state.keys.set(key, current);
      added = true;
    }
    if (added && !this.broadcastRequested) {
      this.broadcastRequested = true;
      this.requestBroadcast();
    }
  }

  /** sendTrackingMessage: to `c`, or the client it redirects to. */
  private send(c: Client, payload: Payload): void {
    const t = c.tracking!;
    let target = c;
    if (t.redirect !== 0) {
      const redirected = this.clientById(t.redirect);
      if (redirected === undefined) {
        t.brokenRedirect = true;
        // Only a RESP3 client can be told, in a push, that its messages have nowhere to go.
        if (c.reply.resp === 3) this.push(c, () => {
          c.reply.push(2);
          c.reply.bulk('tracking-redir-broken');
          c.reply.int(t.redirect);
        });
        return;
      }
      target = redirected;
    }
    const reply = target.reply;
    // RESP2 has no pushes: only a redirection to a subscribed connection can carry them, as pub/sub messages.
    if (reply.resp === 2 && (target === c || target.subscriptions === null)) return;
    this.push(target, () => {
      if (reply.resp === 3) {
        reply.push(2);
        reply.bulk('invalidate');
      } else {
        reply.push(3);
        reply.bulk('message');
        reply.bulk(CHANNEL);
      }
      if ('nullFor' in payload) reply.shared(payload.nullFor === 3 ? RESP3_NULL : RESP2_NULL);
      else reply.bulks(payload);
    });
  }

  /** Writes a push into `target`'s output, marked as one (CLIENT REPLY OFF keeps it), and tells the client. */
  private push(target: Client, write: () => void): void {
    const start = target.reply.position;
    write();
    target.reply.markPush(start);
    target.pushed();
  }
}

/** A flush's null, in the tracking client's protocol whatever the receiver's (as redis-server's shared.null[c->resp]). */
const RESP2_NULL = Buffer.from('$-1\r\n');
const RESP3_NULL = Buffer.from('_\r\n');
