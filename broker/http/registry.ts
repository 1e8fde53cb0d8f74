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
import { SeriesCache } from './collectors/series-cache.js';
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

/** Each family's HELP and TYPE lines, per format, made once. */
const HEADERS: Partial<Record<Format, Map<FamilyName, Buffer>>> = {};

function familyHeaders(format: Format): Map<FamilyName, Buffer> {
  let headers = HEADERS[format];
  if (headers !== undefined) return headers;
  headers = new Map();
  for (const [name, family] of Object.entries(FAMILIES) as [FamilyName, Family][]) {
    // OpenMetrics names a counter family without its samples' `_total`.
    const familyName = format === 'openmetrics' && family.type === 'counter' ? name.replace(/_total$/, '') : name;
    headers.set(name, Buffer.from(`# HELP ${familyName} ${family.help}\n# TYPE ${familyName} ${family.type}\n`, 'utf8'));
  }
  return (HEADERS[format] = headers);
}

export class Metrics {
  /**
   * Made at the first scrape in each format: each one's default metrics watch the
   * process (a GC observer, an event-loop delay timer every 10 ms), and a Prometheus
   * server asks for one format only.
   */
  private readonly registries: Partial<Record<Format, Registry<RegistryContentType>>> = {};
  private readonly server: ServerCollector;
  /** The per-key series, kept from scrape to scrape. */
  private readonly series = new SeriesCache();
  /** The last scrape, already rendered: the next one takes over its lines. */
  private last: Scrape | undefined;
  /** A body already sent (`recycle`), for the next. */
  private spare: Buffer | null = null;

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
    // prom-client's part first: the scrape and its joining then run in one turn.
    const defaults = await (this.registries[format] ??= this.registry(CONTENT_TYPES[format])).metrics();
    const scrape = this.scrape();
    const parts: Buffer[] = [];
    const headers = familyHeaders(format);
    for (const name of Object.keys(FAMILIES) as FamilyName[]) parts.push(headers.get(name)!, scrape.linesOf(name));
    // prom-client's text ends with a newline, and OpenMetrics' with `# EOF`.
    parts.push(Buffer.from(defaults, 'utf8'));
    let length = 0;
    for (const part of parts) length += part.length;
    const spare = this.spare;
    this.spare = null;
    // A quarter more than needed: the next scrape, a little longer, still fits.
    const body = spare !== null && spare.length >= length ? spare : Buffer.allocUnsafe(Math.ceil(length * 1.25));
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
    return body.subarray(0, length);
  }

  /**
   * Gives back a body `render` made, once sent (its bytes are no longer read): the
   * next scrape writes into it. A new buffer of several MB for every scrape cost more
   * than copying into it (fresh pages); a body never given back is just collected.
   */
  recycle(body: Buffer): void {
    this.spare = Buffer.from(body.buffer, body.byteOffset, body.buffer.byteLength - body.byteOffset);
  }

  /** One reading of every collector (exported for tests that compare values); its lines are valid until the next one. */
  scrape(): Scrape {
    const scrape = new Scrape(this.last);
    const selection = new KeySelection(this.broker.config);
    collectKeys(this.broker.engine, scrape, selection, this.series);
    selection.report(scrape);
    this.server.collect(scrape);
    collectPersistence(this.broker, scrape);
    collectReplication(this.broker, scrape);
    for (const collect of this.collectors) collect(scrape);
    this.last = scrape;
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
