/**
 * The prom-client registries /metrics renders: the families of families.ts, filled by
 * one scrape of the collectors, plus prom-client's default process and Node.js
 * metrics (CPU, RSS, heap, event-loop lag, GC). One registry per exposition format,
 * each with its own metric objects: prom-client renames counters in place when it
 * renders OpenMetrics.
 */
import { Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';
import { FAMILIES, type Family, type FamilyName } from './families.js';
import { Scrape, type Sample } from './scrape.js';
import { KeySelection } from './collectors/key-selection.js';
import { collectKeys } from './collectors/keys.js';
import { ServerCollector } from './collectors/server.js';
import { collectPersistence } from './collectors/persistence.js';
import type { MetricsHost } from './host.js';

/** A family as prom-client's registry reads it (`get()`), its values taken from the current scrape. */
class ScrapedFamily {
  readonly aggregator = 'sum';

  constructor(
    public name: string,
    readonly help: string,
    readonly type: Family['type'],
    private readonly samples: () => readonly Sample[],
  ) {}

  get(): { name: string; help: string; type: string; aggregator: string; values: readonly Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }
}

const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export type Format = 'prometheus' | 'openmetrics';

export class Metrics {
  private readonly registries: Record<Format, Registry<RegistryContentType>>;
  private readonly server: ServerCollector;
  private current: Scrape = new Scrape();

  constructor(private readonly broker: MetricsHost) {
    this.server = new ServerCollector(broker);
    this.registries = {
      prometheus: this.registry(Registry.PROMETHEUS_CONTENT_TYPE),
      openmetrics: this.registry(Registry.OPENMETRICS_CONTENT_TYPE),
    };
  }

  contentType(format: Format): string {
    return this.registries[format].contentType;
  }

  /** Reads the broker's state now and renders it. */
  async render(format: Format): Promise<string> {
    this.current = this.scrape();
    return this.registries[format].metrics();
  }

  /** One reading of every collector (exported for tests that compare values). */
  scrape(): Scrape {
    const scrape = new Scrape();
    const selection = new KeySelection(this.broker.config);
    collectKeys(this.broker.engine, scrape, selection);
    selection.report(scrape);
    this.server.collect(scrape);
    collectPersistence(this.broker, scrape);
    return scrape;
  }

  private registry(contentType: RegistryContentType): Registry<RegistryContentType> {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(contentType);
    for (const [name, family] of Object.entries(FAMILIES) as [FamilyName, Family][]) {
      const metric = new ScrapedFamily(name, family.help, family.type, () => this.current.samples.get(name) ?? []);
      registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    }
    collectDefaultMetrics({ register: registry });
    // Gauges whose `_total` names break Prometheus's naming rules (promtool check metrics
    // rejects them); what they count (handles, requests) says little about a broker.
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
    return registry;
  }
}
