/**
 * Keyspace notifications, as redis-server 7.0's notify.c: a change to a key is
 * published on `__keyspace@<db>__:<key>` (message: the event) when `K` is enabled and
 * on `__keyevent@<db>__:<event>` (message: the key) when `E` is, if the event's class
 * is one of the `notify-keyspace-events` flags. Messages go through the ordinary
 * pub/sub delivery, so SUBSCRIBE and PSUBSCRIBE clients see exactly what PUBLISH
 * would give them.
 *
 * `notify` is called on every write: with notifications off (flags 0, the default)
 * it costs one bitwise test.
 */
import type { Engine } from './engine.js';

/** Keyspace notification classes, as redis-server's NOTIFY_* bits. */
export const NotifyFlag = {
  Keyspace: 1 << 0, // K
  Keyevent: 1 << 1, // E
  Generic: 1 << 2, // g
  String: 1 << 3, // $
  List: 1 << 4, // l
  Set: 1 << 5, // s
  Hash: 1 << 6, // h
  Zset: 1 << 7, // z
  Expired: 1 << 8, // x
  Evicted: 1 << 9, // e
  Stream: 1 << 10, // t
  KeyMiss: 1 << 11, // m
  Module: 1 << 12, // d
  New: 1 << 13, // n
} as const;

/**
 * notifyKeyspaceEvent: publishes `event` about `key` of database `db` if the class
 * `type` (a NotifyFlag) is enabled.
 */
export function notify(engine: Engine, type: number, event: string, key: string, db: number): void {
  const flags = engine.notifyFlags;
  if ((flags & type) === 0) return;
  if (flags & NotifyFlag.Keyspace) engine.pubsub.publish(`__keyspace@${db}__:${key}`, event, false);
  if (flags & NotifyFlag.Keyevent) engine.pubsub.publish(`__keyevent@${db}__:${event}`, key, false);
}
