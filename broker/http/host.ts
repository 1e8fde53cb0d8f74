/**
 * What the HTTP subsystem reads of the broker: a read-only view, named here as the
 * other modules name theirs (ARCHITECTURE.md, "Subsystems"). Collectors read
 * it at scrape time only.
 */
import type { Broker } from '../server.js';

export type MetricsHost = Pick<
  Broker,
  'engine' | 'config' | 'stats' | 'commands' | 'histograms' | 'connections' | 'persistence' | 'memory' | 'outputLimits' | 'log'
>;
