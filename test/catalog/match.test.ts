import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAlerts, type Alert } from '../../lib/alerts/index.ts';
import { globMatch, matchAlert, parseCatalog, routeAlert, servicesForAlert, type Catalog } from '../../lib/catalog/index.ts';
import { alertFixture } from '../support/alert-fixtures.ts';

const EXAMPLE = fileURLToPath(new URL('../../leakhound.example.yml', import.meta.url));

function exampleCatalog(): Catalog {
  const result = parseCatalog(readFileSync(EXAMPLE, 'utf8'), 'leakhound.example.yml');
  if (!result.ok) throw result.error;
  return result.catalog;
}

function alerts(fixture: string): Alert[] {
  const result = parseAlerts(alertFixture(fixture));
  if (!result.ok) throw new Error(result.error.message);
  return result.alerts;
}

const names = (catalog: Catalog, alert: Alert) => servicesForAlert(catalog, alert).map((s) => s.name);

describe('servicesForAlert', () => {
  const catalog = exampleCatalog();

  it('a shared RDS instance alarm maps to every service on that database', () => {
    const [alert] = alerts('sns-rds-connections-alarm.json');
    expect(names(catalog, alert!)).toEqual(['billing-api', 'orders-api']);
    expect(matchAlert(catalog, alert!).map((m) => m.via)).toEqual([['dimensions'], ['dimensions']]);
  });

  it('an ALB-wide 504 alarm maps to both services behind it', () => {
    const [alert] = alerts('sns-alb-504-metric-math.json');
    expect(names(catalog, alert!)).toEqual(['billing-api', 'orders-api']);
  });

  it('a target-group alarm maps only to the service owning the target group', () => {
    const [alert] = alerts('sns-https-target-5xx.json');
    expect(names(catalog, alert!)).toEqual(['billing-api']);
  });

  it('an Aurora cluster alarm maps by DBClusterIdentifier', () => {
    const [alert] = alerts('eventbridge-aurora-connections-alarm.json');
    expect(names(catalog, alert!)).toEqual(['ledger-worker']);
  });

  it('Alertmanager alerts map by labels, alert names and exporter dimensions', () => {
    const [pg, ledger, web] = alerts('alertmanager-v4-mixed.json');
    expect(names(catalog, pg!)).toEqual(['billing-api']);
    expect(matchAlert(catalog, pg!)[0]!.via).toEqual(['labels']);
    expect(names(catalog, ledger!)).toEqual(['ledger-worker']);
    expect(matchAlert(catalog, ledger!)[0]!.via).toEqual(['name', 'labels']);
    expect(names(catalog, web!)).toEqual(['billing-api', 'orders-api']);
  });

  it('alarm name globs match', () => {
    const alert = { ...alerts('sns-rds-connections-alarm.json')[0]!, name: 'orders-api-latency', dimensions: {}, resources: [] };
    expect(names(catalog, alert)).toEqual(['orders-api']);
  });

  it('an alert for something not in the catalog is unmapped', () => {
    const alert = {
      ...alerts('sns-rds-connections-alarm.json')[0]!,
      name: 'inventory-db-connections-high',
      dimensions: { DBInstanceIdentifier: 'inventory-prod' },
    };
    expect(servicesForAlert(catalog, alert)).toEqual([]);
  });
});

describe('routeAlert', () => {
  const catalog = exampleCatalog();

  it('fills in the service, one route per service, to its channel', () => {
    const [alert] = alerts('sns-rds-connections-alarm.json');
    const routes = routeAlert(catalog, alert!);
    expect(routes.map((r) => [r.service?.name, r.channel, r.alert.service])).toEqual([
      ['billing-api', '#billing-oncall', 'billing-api'],
      ['orders-api', '#orders-oncall', 'orders-api'],
    ]);
    // The parsed alert itself is left alone.
    expect(alert!.service).toBeNull();
  });

  it('sends unmapped alerts to the default channel', () => {
    const alert = { ...alerts('sns-rds-connections-alarm.json')[0]!, name: 'x', dimensions: { DBInstanceIdentifier: 'elsewhere' } };
    expect(routeAlert(catalog, alert)).toEqual([{ alert: { ...alert, service: null }, service: null, channel: '#incidents' }]);
  });

  it('lets the catalog set the kind explicitly', () => {
    const result = parseAlerts({
      version: '4',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'LedgerWorkerSlow', service: 'ledger-worker' },
          annotations: {},
          startsAt: '2024-03-14T10:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus:9090/graph?g0.expr=histogram_quantile%280.99%2C+x%29',
          fingerprint: 'f00d',
        },
      ],
    });
    if (!result.ok) throw new Error(result.error.message);
    const [alert] = result.alerts;
    expect(alert!.kind).toBe('other');
    const [route] = routeAlert(catalog, alert!);
    expect(route!.alert).toMatchObject({ service: 'ledger-worker', kind: 'db-connections-high', signal: 'db-connections-high' });

    const resolved = routeAlert(catalog, { ...alert!, state: 'resolved', kind: 'resolved' })[0]!;
    expect(resolved.alert).toMatchObject({ kind: 'resolved', signal: 'db-connections-high' });
  });
});

describe('globMatch', () => {
  it.each([
    ['billing-*', 'billing-api-db', true],
    ['billing-*', 'billing-', true],
    ['billing-*', 'orders-billing-x', false],
    ['*-504', 'public-web-504', true],
    ['a*b*c', 'a-b-c', true],
    ['a*b*c', 'a-c-b', false],
    ['ab*ba', 'aba', false],
    ['exact', 'exact', true],
    ['exact', 'Exact', false],
    ['*', '', true],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(globMatch(pattern, name)).toBe(expected);
  });
});
