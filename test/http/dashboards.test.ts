/**
 * dashboards/: the Grafana dashboards have what Grafana needs (unique panel ids, grid
 * positions inside the 24-column grid, datasource references to the dashboard's
 * datasource variable, template variables defined where panels use them and used by
 * some panel), the provisioning points at them, and the alert rules pass `promtool
 * check rules` and their unit tests (`promtool test rules`). That every panel and
 * alert expression returns data from a real Prometheus is in prometheus.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPrometheus, NO_PROMETHEUS } from '../harness/prometheus.js';
import { alertExpressions, dashboards, GRAFANA_DIR, PROMETHEUS_DIR, relaxThresholds, variables } from './dashboard-files.js';

describe('Grafana dashboards', () => {
  const all = dashboards();

  it('are the four the README lists, with unique uids', () => {
    expect(all.map((d) => d.file).sort()).toEqual(['lists-pubsub.json', 'overview.json', 'persistence.json', 'streams.json']);
    expect(new Set(all.map((d) => d.json.uid)).size).toBe(all.length);
  });

  for (const d of all) {
    it(`${d.file}: panel ids, grid positions, datasources and template variables`, () => {
      const panels = d.json.panels;
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      const vars = variables(d);
      const names = new Set(vars.map((v) => v.name));
      expect(vars.find((v) => v.name === 'datasource')?.type).toBe('datasource');
      const used = new Set<string>();
      for (const p of panels) {
        const { x, y, w, h } = p.gridPos;
        for (const n of [x, y, w, h]) expect(Number.isInteger(n), p.title).toBe(true);
        expect(x >= 0 && w > 0 && h > 0 && y >= 0 && x + w <= 24, p.title).toBe(true);
        expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets) {
          expect(t.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
          for (const [, name] of t.expr.matchAll(/\$\{?(\w+)\}?/g)) {
            expect(names.has(name), `${p.title}: $${name}`).toBe(true);
            used.add(name);
          }
        }
      }
      // Panels do not overlap.
      for (const a of panels) {
        for (const b of panels) {
          if (a === b) continue;
          const overlap =
            a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w &&
            a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
          expect(overlap, `${a.title} / ${b.title}`).toBe(false);
        }
      }
      // Every query variable is used by a panel, or by another variable's query.
      const variableQueries = vars.map((v) => v.labelValues?.metric ?? '').join(' ');
      for (const v of vars) {
        if (v.type !== 'query') continue;
        expect(v.labelValues, v.name).toBeDefined();
        expect(used.has(v.name) || variableQueries.includes(`$${v.name}`), v.name).toBe(true);
      }
    });
  }

  it('are provisioned from their folder, with the Prometheus datasource', () => {
    const provider = readFileSync(path.join(GRAFANA_DIR, 'provisioning/dashboards/broker.yml'), 'utf8');
    expect(provider).toContain('type: file');
    const datasource = readFileSync(path.join(GRAFANA_DIR, 'provisioning/datasources/prometheus.yml'), 'utf8');
    expect(datasource).toContain('type: prometheus');
  });
});

const promtool = hasPrometheus();

describe.skipIf(!promtool)(promtool ? 'alert rules' : `alert rules: ${NO_PROMETHEUS}`, () => {
  it('pass promtool check rules and the scrape config promtool check config', () => {
    const rules = spawnSync('promtool', ['check', 'rules', 'alerts.yml'], { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
    expect(rules.stdout + rules.stderr).toContain(`SUCCESS: ${alertExpressions().length} rules found`);
    expect(rules.status).toBe(0);
    for (const file of ['prometheus.yml', 'prometheus-replication.yml']) {
      const config = spawnSync('promtool', ['check', 'config', file], { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
      expect(config.status, config.stdout + config.stderr).toBe(0);
    }
  });

  it('pass their unit tests (promtool test rules)', () => {
    const run = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('relaxed for the data check, keep their selectors', () => {
    expect(relaxThresholds('broker_x > 60 and delta(broker_x[5m]) > 0')).toBe('broker_x > -Inf and delta(broker_x[5m]) > -Inf');
    expect(relaxThresholds('up{job="broker"} == 0')).toBe('up{job="broker"} > -Inf');
  });
});
