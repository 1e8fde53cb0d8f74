/**
 * `client-output-buffer-limit`: a client whose unsent output grows past its class's
 * hard limit, or stays past the soft limit for longer than the soft seconds, is
 * disconnected, as redis-server's checkClientOutputBufferLimits does. This is what
 * keeps memory bounded when a subscriber stops reading while a publisher floods it.
 *
 * Unsent output is `Connection.outputBytes`: the pending reply plus what the socket
 * has accepted but not yet handed to the kernel.
 *
 * A client that has not authenticated (with `requirepass` set) is disconnected once its
 * unsent output passes UNAUTHENTICATED_LIMIT, whatever its class: redis-server's fix for
 * CVE-2025-21605 (`used_mem > 1024 && authRequired(c)` in checkClientOutputBufferLimits),
 * in Debian's 7.0.15. redis-server's count leaves out its 16 KB reply buffer, and the
 * reply that overflows it starts a 16 KB block, over the 1024 allowed at once: a client
 * is cut off as soon as more than 16384 bytes wait for it (480 unread -NOAUTH replies of
 * 34 bytes are kept, 500 are not, test/server/client-limits.test.ts).
 */
import type { Config } from '../config/config.js';
import type { Connection } from './connection.js';
import type { Logger } from '../log.js';
import { clientInfoLine } from '../commands/client.js';

type LimitClass = 'normal' | 'slave' | 'pubsub';

/** redis-server's PROTO_REPLY_CHUNK_BYTES: its reply buffer, beyond which an unauthenticated client goes. */
const UNAUTHENTICATED_LIMIT = 16 * 1024;

interface Limit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** The parameter's value as the config keeps it: `normal h s sec slave h s sec pubsub h s sec`. */
function parseLimits(value: string): Record<LimitClass, Limit> {
  const limits: Record<LimitClass, Limit> = {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    slave: { hard: 0, soft: 0, softSeconds: 0 },
    pubsub: { hard: 0, soft: 0, softSeconds: 0 },
  };
  const words = value.split(' ');
  for (let i = 0; i + 3 < words.length; i += 4) {
    limits[words[i] as LimitClass] = { hard: Number(words[i + 1]), soft: Number(words[i + 2]), softSeconds: Number(words[i + 3]) };
  }
  return limits;
}

/**
 * redis-server's getClientType for limits: a primary's link counts as normal, a
 * MONITOR client too; a client with subscriptions is pubsub.
 */
function limitClass(c: Connection): LimitClass {
  if (c.kind === 'replica' && !c.monitor) return 'slave';
  return c.subscriptions !== null ? 'pubsub' : 'normal';
}

export class OutputLimits {
  /** Clients closed for going over their limit, by class (the metrics' counter). */
  readonly closed: Record<LimitClass, number> = { normal: 0, slave: 0, pubsub: 0 };
  private limits: Record<LimitClass, Limit>;
  /**
   * The smallest hard or soft limit of any class (Infinity when none): output below it
   * is within every limit, which is all `enforce` needs to know after a small reply.
   */
  private smallest = Infinity;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.limits = this.apply(config.get('client-output-buffer-limit'));
    config.onChange('client-output-buffer-limit', (_, value) => {
      this.limits = this.apply(value);
    });
  }

  private apply(value: string): Record<LimitClass, Limit> {
    const limits = parseLimits(value);
    this.smallest = Infinity;
    for (const { hard, soft } of Object.values(limits)) {
      if (hard !== 0) this.smallest = Math.min(this.smallest, hard);
      if (soft !== 0) this.smallest = Math.min(this.smallest, soft);
    }
    return limits;
  }

  /**
   * Disconnects `c` if its unsent output (`used`) is over its limit; returns true when
   * it did. Called after output is added outside a read (a published message), after
   * much output in a read, and after each write.
   */
  enforce(c: Connection, used = c.outputBytes): boolean {
    if (used === 0 || c.closed) return false;
    if (used < this.smallest && (c.authenticated || used <= UNAUTHENTICATED_LIMIT)) {
      // Under every soft limit too (as `exceeded` would find): its clock stops.
      c.softLimitSince = 0;
      return false;
    }
    if (!this.exceeded(c, used)) return false;
    this.log.warn(`Client ${clientInfoLine(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.closed[limitClass(c)]++;
    c.close();
    return true;
  }

  /** checkClientOutputBufferLimits: the hard limit at once, the soft one once held long enough. */
  private exceeded(c: Connection, used: number): boolean {
    if (!c.authenticated && used > UNAUTHENTICATED_LIMIT) return true;
    const cls = limitClass(c);
    const limit = this.limits[cls];
    let hard = limit.hard;
    // A replica's limit below the backlog size would only make partial syncs fail:
    // redis-server uses the backlog size instead.
    if (cls === 'slave' && hard !== 0) hard = Math.max(hard, this.config.int('repl-backlog-size'));
    if (hard !== 0 && used >= hard) return true;
    if (limit.soft === 0 || used < limit.soft) {
      c.softLimitSince = 0;
      return false;
    }
    // Whole seconds, as server.unixtime: the first time only starts the clock.
    const now = Math.floor(Date.now() / 1000);
    if (c.softLimitSince === 0) {
      c.softLimitSince = now;
      return false;
    }
    return now - c.softLimitSince > limit.softSeconds;
  }
}
