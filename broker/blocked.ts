/**
 * The registry of clients waiting in a blocking command (BLPOP, XREAD BLOCK, ...).
 * The family that blocks a client registers how to wake it; the broker uses the
 * registry for CLIENT UNBLOCK, CLIENT LIST's `b` flag, INFO blocked_clients, the
 * idle `timeout` exemption, and to cancel a wait when the connection goes away.
 */

export interface Waiter {
  /** Ends the wait now, as CLIENT UNBLOCK asks: with the command's timeout reply, or with `error`. */
  unblock(error: string | null): void;
  /** The connection closed: forget the wait and reply nothing. */
  cancel(): void;
}

export class BlockedClients<C> {
  private readonly waiting = new Map<C, Waiter>();

  get size(): number {
    return this.waiting.size;
  }

  has(c: C): boolean {
    return this.waiting.has(c);
  }

  block(c: C, waiter: Waiter): void {
    this.waiting.set(c, waiter);
  }

  /** The wait ended normally (data arrived or it timed out). */
  release(c: C): void {
    this.waiting.delete(c);
  }

  /** CLIENT UNBLOCK: wakes `c`; false when it was not blocked. */
  unblock(c: C, error: string | null): boolean {
    const waiter = this.waiting.get(c);
    if (waiter === undefined) return false;
    this.waiting.delete(c);
    waiter.unblock(error);
    return true;
  }

  /** The connection of `c` closed. */
  cancel(c: C): void {
    const waiter = this.waiting.get(c);
    if (waiter === undefined) return;
    this.waiting.delete(c);
    waiter.cancel();
  }
}
