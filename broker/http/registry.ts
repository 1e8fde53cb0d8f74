/**
 * What /metrics renders: the families of families.ts, filled by one scrape of the
 * collectors and written out here (scrape.ts says why not by prom-client), then
 * prom-client's default process and Node.js metrics (CPU, RSS, heap, event-loop lag,
 * GC) from its registries, one per exposition format (prom-client renames counters in
 * place when it renders OpenMetrics, so they cannot share metric objects).
 */
import { Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';
import { FAMILIES, type Family, type FamilyName } from './families.js';
import { Scrape } from './scrape.js';
import { KeySelection } from './collectors/key-selection.js';
import { collectKeys } from './collectors/keys.js';
import { ServerCollector } from './collectors/server.js';
import { collectPersistence } from './collectors/persistence.js';
import { collectReplication } from './collectors/replication.js';
import type { MetricsHost } from './host.js';

/** A collector a subsystem adds (the gateway's): it writes its families' samples at each scrape. */
export type Collector = (scrape: Scrape) => void;

const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export type Format = 'prometheus' | 'openmetrics';

const CONTENT_TYPES: Record<Format, RegistryContentType> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

export class Metrics {
  /**
   * Made at the first scrape in each format: each one's default metrics watch the
   * process (a GC observer, an event-loop delay timer every 10 ms), and a Prometheus
   * server asks for one format only.
   */
  private readonly registries: Partial<Record<Format, Registry<RegistryContentType>>> = {};
  private readonly server: ServerCollector;

  constructor(
    private readonly broker: MetricsHost,
    private readonly collectors: readonly Collector[] = [],
  ) {
    this.server = new ServerCollector(broker);
  }

  contentType(format: Format): string {
    return CONTENT_TYPES[format];
  }

  /** Reads the broker's state now and renders it, as UTF-8 bytes. */
  async render(format: Format): Promise<Buffer> {
    const scrape = this.scrape();
    const parts: Buffer[] = [];
    for (const [name, family] of Object.entries(FAMILIES) as [FamilyName, Family][]) {
      // OpenMetrics names a counter family without its samples' `_total`.
      const familyName = format === 'openmetrics' && family.type === 'counter' ? name.replace(/_total$/, '') : name;
      parts.push(Buffer.from(`# HELP ${familyName} ${family.help}\n# TYPE ${familyName} ${family.type}\n`, 'utf8'), scrape.linesOf(name));
    }
    // prom-client's text ends with a newline, and OpenMetrics' with `# EOF`.
    parts.push(Buffer.from(await (this.registries[format] ??= this.registry(CONTENT_TYPES[format])).metrics(), 'utf8'));
    return Buffer.concat(parts);
  }

  /** One reading of every collector (exported for tests that compare values). */
  scrape(): Scrape {
    const scrape = new Scrape();
    const selection = new KeySelection(this.broker.config);
    collectKeys(this.broker.engine, scrape, selection);
    selection.report(scrape);
    this.server.collect(scrape);
    collectPersistence(this.broker, scrape);
    collectReplication(this.broker, scrape);
    for (const collect of this.collectors) collect(scrape);
    return scrape;
  }

  private registry(contentType: RegistryContentType): Registry<RegistryContentType> {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(contentType);
    collectDefaultMetrics({ register: registry });
    // Gauges whose `_total` names break Prometheus's naming rules (promtool check metrics
    // rejects them); what they count (handles, requests) says little about a broker.
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
    return registry;
  }
}
