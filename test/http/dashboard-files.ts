/**
 * The files of dashboards/ as the tests read them: the Grafana dashboards with their
 * template variables and panel queries, and the alert rules' expressions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness/prometheus.js';

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
