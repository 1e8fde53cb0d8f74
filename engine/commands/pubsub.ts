/**
 * Pub/sub commands, as redis-server 7.0's pubsub.c: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE,
 * PUBLISH, SPUBLISH and PUBSUB introspection. Confirmations are pushes (`>` in RESP3,
 * plain arrays in RESP2), one per name. RESP2's subscribed mode, where only these
 * commands and a few others may run, is enforced by dispatch.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import { replyHelp, subcommandSyntaxError } from '../help.js';
import type { Namespace } from '../pubsub.js';
import { SSUBSCRIBE_DENY_BLOCKING } from '../errors.js';

/** The confirmation kinds of each namespace, as in redis-server's shared objects. */
const VERBS: Record<Namespace, { subscribe: string; unsubscribe: string }> = {
  channel: { subscribe: 'subscribe', unsubscribe: 'unsubscribe' },
  pattern: { subscribe: 'psubscribe', unsubscribe: 'punsubscribe' },
  shard: { subscribe: 'ssubscribe', unsubscribe: 'sunsubscribe' },
};

/** `[kind, name or null, count]`: a null name answers an UNSUBSCRIBE that had nothing to leave. */
function confirm(c: Client, kind: string, name: string | null, ns: Namespace): void {
  const reply = c.reply;
  const start = reply.position;
  reply.push(3);
  reply.bulk(kind);
  reply.bulkOrNil(name);
  reply.int(c.subscriptions?.countFor(ns) ?? 0);
  reply.markPush(start);
}

function subscribeTo(ns: Namespace): (c: Client, argv: string[]) => void {
  const kind = VERBS[ns].subscribe;
  return (c, argv) => {
    for (let i = 1; i < argv.length; i++) {
      c.engine.pubsub.subscribe(c, ns, argv[i]);
      confirm(c, kind, argv[i], ns);
    }
  };
}

/** Without names, leaves every subscription of the namespace, in subscription order. */
function unsubscribeFrom(ns: Namespace): (c: Client, argv: string[]) => void {
  const kind = VERBS[ns].unsubscribe;
  return (c, argv) => {
    const pubsub = c.engine.pubsub;
    const names = argv.length > 1 ? argv.slice(1) : [...(c.subscriptions?.[ns] ?? [])];
    if (names.length === 0) return confirm(c, kind, null, ns);
    for (const name of names) {
      pubsub.unsubscribe(c, ns, name);
      confirm(c, kind, name, ns);
    }
  };
}

const subscribeShard = subscribeTo('shard');

/**
 * Inside EXEC a shard subscription is refused (redis-server's CLIENT_DENY_BLOCKING
 * check; SUBSCRIBE and PSUBSCRIBE stay allowed there for backward compatibility).
 */
function ssubscribe(c: Client, argv: string[]): void {
  if (c.denyBlocking) return c.reply.error(SSUBSCRIBE_DENY_BLOCKING);
  subscribeShard(c, argv);
}

/**
 * PUBLISH and SPUBLISH. The command is propagated as itself even though it changes
 * no key, so replicas' subscribers get the message too (forceCommandPropagation).
 */
function publishTo(shard: boolean): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    const receivers = c.engine.pubsub.publish(argv[1], argv[2], shard);
    c.engine.forcePropagation();
    c.reply.int(receivers);
  };
}

/** PUBSUB CHANNELS|SHARDCHANNELS [pattern]: names in no particular order, as a dict's. */
function listNames(ns: Namespace): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    if (argv.length > 3) return c.reply.error(subcommandSyntaxError(argv));
    c.reply.bulks(c.engine.pubsub.names(ns, argv.length === 3 ? argv[2] : null));
  };
}

/** PUBSUB NUMSUB|SHARDNUMSUB [name ...]: each name and its subscriber count. */
function countSubscribers(ns: Namespace): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    const pubsub = c.engine.pubsub;
    c.reply.array((argv.length - 2) * 2);
    for (let i = 2; i < argv.length; i++) {
      c.reply.bulk(argv[i]);
      c.reply.int(pubsub.subscriberCount(ns, argv[i]));
    }
  };
}

const PUBSUB_HELP = [
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
];

export const pubsubCommands: readonly CommandDef<Client>[] = [
  { name: 'subscribe', handler: subscribeTo('channel') },
  { name: 'psubscribe', handler: subscribeTo('pattern') },
  { name: 'ssubscribe', handler: ssubscribe },
  { name: 'unsubscribe', handler: unsubscribeFrom('channel') },
  { name: 'punsubscribe', handler: unsubscribeFrom('pattern') },
  { name: 'sunsubscribe', handler: unsubscribeFrom('shard') },
  { name: 'publish', handler: publishTo(false) },
  { name: 'spublish', handler: publishTo(true) },
  { name: 'pubsub|channels', handler: listNames('channel') },
  { name: 'pubsub|shardchannels', handler: listNames('shard') },
  { name: 'pubsub|numsub', handler: countSubscribers('channel') },
  { name: 'pubsub|shardnumsub', handler: countSubscribers('shard') },
  { name: 'pubsub|numpat', handler: (c) => c.reply.int(c.engine.pubsub.count('pattern')) },
  { name: 'pubsub|help', handler: (c, argv) => replyHelp(c.reply, argv[0], PUBSUB_HELP) },
];
