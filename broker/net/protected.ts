/**
 * redis-server's protected actions (DEBUG, MODULE, protected configs): allowed when
 * their `enable-*` setting is "yes", or "local" and the client is local.
 */
import type { Connection } from './connection.js';

/** islocalClient: a unix socket, or a TCP peer at exactly 127.0.0.1 or ::1. */
export function isLocalClient(c: Connection): boolean {
  const address = c.socket.remoteAddress;
  // Node reports IPv4 peers of a dual-stack listener as IPv4-mapped IPv6.
  return address === undefined || address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** allowProtectedAction for a `yes`/`no`/`local` setting. */
export function allowProtectedAction(setting: string, c: Connection): boolean {
  return setting === 'yes' || (setting === 'local' && isLocalClient(c));
}
