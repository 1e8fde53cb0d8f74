/**
 * The gateway's counters, bumped where the event happens (a delivery, an ack, a
 * dropped session), and read with the sessions' state at scrape time by `collect`
 * (ARCHITECTURE.md, "Subsystems": metrics are computed at scrape time).
 */
import { labels, type Scrape } from '../http/scrape.js';

const DROP_REASONS = ['slow_consumer', 'heartbeat', 'bad_frame', 'auth', 'link_closed', 'session_limit'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Every kind, with 0 when there is none: a dashboard's query has data from the start. */
const SUBSCRIPTION_KINDS = ['consume', 'read', 'pop', 'subscribe'];

export class GatewayStats {
  sessionsOpened = 0;
  delivered = 0;
  acked = 0;
  nacked = 0;
  /** Each reason from the start, at 0: a counter that appears late loses its first increase in rate(). */
  readonly dropped = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }
}

/** What the collector reads of the live sessions. */
export interface GatewayState {
  readonly stats: GatewayStats;
  /** Open sessions: their subscriptions by kind, credit outstanding and unsent bytes. */
  sessionFigures(): { sessions: number; subscriptions: Map<string, number>; credits: number; bufferedBytes: number };
}

export function collectGateway(gateway: GatewayState, scrape: Scrape): void {
  const figures = gateway.sessionFigures();
  const s = gateway.stats;
  scrape.set('broker_gateway_sessions', figures.sessions);
  for (const kind of SUBSCRIPTION_KINDS) scrape.set('broker_gateway_subscriptions', figures.subscriptions.get(kind) ?? 0, labels({ kind }));
  scrape.set('broker_gateway_credits_outstanding', figures.credits);
  scrape.set('broker_gateway_buffered_bytes', figures.bufferedBytes);
  scrape.set('broker_gateway_sessions_opened_total', s.sessionsOpened);
  scrape.set('broker_gateway_messages_delivered_total', s.delivered);
  scrape.set('broker_gateway_messages_acked_total', s.acked);
  scrape.set('broker_gateway_messages_nacked_total', s.nacked);
  for (const [reason, n] of s.dropped) scrape.set('broker_gateway_sessions_dropped_total', n, labels({ reason }));
}
