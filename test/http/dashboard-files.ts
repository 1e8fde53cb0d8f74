/**
 * The files of dashboards/ as the tests read them: the Grafana dashboards with their
 * template variables and panel queries, and the alert rules' expressions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { queryUntil, ROOT, type PromSample, type RunningPrometheus } from '../harness/prometheus.js';

export const GRAFANA_DIR = path.join(ROOT, 'dashboards/grafana');
export const PROMETHEUS_DIR = path.join(ROOT, 'dashboards/prometheus');

export interface Variable {
  name: string;
  type: string;
  /** For `label_values(<selector>, <label>)` queries. */
  labelValues?: { metric: string; label: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
}

export interface Dashboard {
  file: string;
  json: { uid: string; title: string; panels: Panel[]; templating: { list: (Variable & { query: unknown })[] } };
  targets: { panel: string; expr: string }[];
}

export function dashboards(): Dashboard[] {
  return readdirSync(GRAFANA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const json = JSON.parse(readFileSync(path.join(GRAFANA_DIR, file), 'utf8')) as Dashboard['json'];
      const targets = json.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
      return { file, json, targets };
    });
}

export function variables(d: Dashboard): Variable[] {
  return d.json.templating.list.map((v) => {
    const query = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
    const m = /^label_values\((.*), (\w+)\)$/.exec(query ?? '');
    return { name: v.name, type: v.type, labelValues: m === null ? undefined : { metric: m[1], label: m[2] } };
  });
}

/** `$name` and `${name}` replaced by the regex matching exactly `values[name]`. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return value.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
  });
}

/** The alert rules' names and expressions (each rule's `expr` on one line). */
export function alertExpressions(): { alert: string; expr: string }[] {
  const text = readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
  const out: { alert: string; expr: string }[] = [];
  let alert: string | null = null;
  for (const line of text.split('\n')) {
    const a = /^\s*- alert: (\S+)/.exec(line);
    if (a !== null) alert = a[1];
    const e = /^\s*expr: (.+)$/.exec(line);
    if (e !== null && alert !== null) out.push({ alert, expr: e[1].trim() });
  }
  return out;
}

/**
 * An alert expression with each comparison to a number made to hold for any value
 * (`> 300` becomes `> -Inf`): what is left selects the series the alert watches, so
 * data proves its metric names and labels match what the broker exports.
 */
export function relaxThresholds(expr: string): string {
  return expr.replace(/(==|!=|>=|<=|>|<)\s*-?\d+(\.\d+)?/g, '> -Inf');
}

/**
 * Every panel query of every dashboard and every alert expression (thresholds relaxed)
 * that returns no data from `prom`, with the template variables set to values the
 * metrics of `instance` have: empty when the dashboards and alerts all work.
 */
export async function queriesWithoutData(prom: Pick<RunningPrometheus, 'query'>, instance: string): Promise<string[]> {
  // Queries that need a moment of load (rates, histograms) are retried.
  const hasData = (r: PromSample[]): boolean => r.length > 0;
  const without: string[] = [];
  for (const d of dashboards()) {
    const values: Record<string, string> = { instance };
    for (const v of variables(d)) {
      if (v.name === 'instance' || v.type !== 'query') continue;
      const { metric, label } = v.labelValues!;
      const value = (await queryUntil(prom, substitute(metric, values), hasData))[0]?.metric[label];
      if (value === undefined) {
        without.push(`${d.file}: no value for $${v.name} (${metric})`);
        continue;
      }
      values[v.name] = value;
    }
    for (const { panel, expr } of d.targets) {
      const query = substitute(expr, values);
      if (!hasData(await queryUntil(prom, query, hasData))) without.push(`${d.file} "${panel}": ${query}`);
    }
  }
  for (const { alert, expr } of alertExpressions()) {
    const query = relaxThresholds(expr);
    if (!hasData(await queryUntil(prom, query, hasData))) without.push(`alert ${alert}: ${query}`);
  }
  return without;
}
