/**
 * Pub/sub: who listens to what, and the delivery of published messages.
 *
 * Three namespaces, as in redis-server 7.0: channels, patterns (globs matched against
 * the channel a message is published to) and shard channels (SSUBSCRIBE/SPUBLISH,
 * which patterns never see). Subscribers of one name are kept in subscription order,
 * the order in which a message reaches them.
 *
 * A message is written into each subscriber's Reply, then the client is told
 * (`Client.pushed`): the broker's connection writes it out once per event-loop turn
 * and enforces the output buffer limits. Nothing here knows a socket.
 */
import type { Client } from './client.js';
import { globMatch } from './glob.js';
import { PushMessage } from '../protocol/reply.js';

export type Namespace = 'channel' | 'pattern' | 'shard';

/** What one client is subscribed to, each set in subscription order. */
export class Subscriptions {
  readonly channel = new Set<string>();
  readonly pattern = new Set<string>();
  readonly shard = new Set<string>();

  /**
   * The count (P)SUBSCRIBE and (P)UNSUBSCRIBE confirmations carry: channels plus
   * patterns; (S)SUBSCRIBE's carry the shard channels alone (redis-server's
   * clientSubscriptionsCount / clientShardSubscriptionsCount).
   */
  countFor(ns: Namespace): number {
    return ns === 'shard' ? this.shard.size : this.channel.size + this.pattern.size;
  }

  get total(): number {
    return this.channel.size + this.pattern.size + this.shard.size;
  }
}

export class PubSub {
  /** Subscribers by name, per namespace; a name without subscribers is removed. */
  private readonly registry: Record<Namespace, Map<string, Set<Client>>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };

  /** Channels, patterns or shard channels with at least one subscriber (INFO, PUBSUB NUMPAT). */
  count(ns: Namespace): number {
    return this.registry[ns].size;
  }

  /** Names with subscribers, matching the glob `pattern` when given (PUBSUB CHANNELS). */
  names(ns: Namespace, pattern: string | null): string[] {
    const out: string[] = [];
    for (const name of this.registry[ns].keys()) {
      if (pattern === null || globMatch(pattern, name)) out.push(name);
    }
    return out;
  }

  /** Subscribers of one name (PUBSUB NUMSUB; pattern subscribers of a channel not counted). */
  subscriberCount(ns: Namespace, name: string): number {
    return this.registry[ns].get(name)?.size ?? 0;
  }

  /** Subscribes `c`; false when it already was subscribed to `name`. */
  subscribe(c: Client, ns: Namespace, name: string): boolean {
    const own = (c.subscriptions ??= new Subscriptions())[ns];
    if (own.has(name)) return false;
    own.add(name);
    const byName = this.registry[ns];
    let clients = byName.get(name);
    if (clients === undefined) {
      clients = new Set();
      byName.set(name, clients);
    }
    clients.add(c);
    return true;
  }

  /** Unsubscribes `c`; false when it was not subscribed to `name`. */
  unsubscribe(c: Client, ns: Namespace, name: string): boolean {
    const subs = c.subscriptions;
    if (subs === null || !subs[ns].delete(name)) return false;
    const byName = this.registry[ns];
    const clients = byName.get(name)!;
    clients.delete(c);
    // A name nobody listens to goes, so that PUBSUB cannot be used to pile up names.
    if (clients.size === 0) byName.delete(name);
    // Out of subscribed mode once nothing is left (redis-server clears CLIENT_PUBSUB).
    if (subs.total === 0) c.subscriptions = null;
    return true;
  }

  /** Drops every subscription of `c`, silently (disconnection, RESET). */
  unsubscribeAll(c: Client): void {
    const subs = c.subscriptions;
    if (subs === null) return;
    for (const ns of ['channel', 'pattern', 'shard'] as const) {
      for (const name of [...subs[ns]]) this.unsubscribe(c, ns, name);
    }
  }

  /**
   * Delivers `message` to the subscribers of `channel` (of `shard` channels for
   * SPUBLISH), then to the subscribers of each matching pattern, once per pattern
   * a client has: a client subscribed to two matching patterns gets two pmessages.
   * Returns the number of deliveries (PUBLISH's reply).
   */
  publish(channel: string, message: string, shard: boolean): number {
    let receivers = 0;
    const direct = this.registry[shard ? 'shard' : 'channel'].get(channel);
    if (direct !== undefined) {
      const m = new PushMessage([shard ? 'smessage' : 'message', channel, message]);
      for (const c of direct) {
        deliver(c, m);
        receivers++;
      }
    }
    // Shard channels are not seen by patterns.
    if (shard) return receivers;
    for (const [pattern, clients] of this.registry.pattern) {
      if (!globMatch(pattern, channel)) continue;
      const m = new PushMessage(['pmessage', pattern, channel, message]);
      for (const c of clients) {
        deliver(c, m);
        receivers++;
      }
    }
    return receivers;
  }
}

/**
 * Appends one message to `c`'s pending output. `pushed` may disconnect the client
 * (output buffer limit), which unsubscribes it: the caller's iteration over a
 * subscriber set tolerates that, as JS Set and Map iteration skip deleted entries.
 */
function deliver(c: Client, m: PushMessage): void {
  const reply = c.reply;
  const start = reply.position;
  reply.message(m);
  reply.markPush(start);
  c.pushed();
}
