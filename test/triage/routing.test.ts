// Alerts that triage nothing still produce a Report: unmapped, resolved, nothing found.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAlerts } from '../../lib/alerts/index.ts';
import { parseCatalog } from '../../lib/catalog/index.ts';
import { triageAlert, buildReport } from '../../lib/triage/index.ts';

const alertFixture = (name: string) => {
  const parsed = parseAlerts(readFileSync(new URL(`../fixtures/alerts/${name}`, import.meta.url), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.alerts[0]!;
};

const catalog = (() => {
  const r = parseCatalog(
    `defaults: { slackChannel: "#incidents" }
services:
  - name: billing-api
    database: { engine: postgres, url: { env: NOPE }, rds: { instance: orders-prod } }
    dumps: { sources: [ { http: { urls: ["http://127.0.0.1:1"] } } ] }
    slackChannel: "#billing"
`,
    'routing.yml',
    { env: {} },
  );
  if (!r.ok) throw r.error;
  return r.catalog;
})();

describe('reports without a triage', () => {
  it('an alarm that maps to no service goes to the default channel, saying so', async () => {
    const alert = { ...alertFixture('sns-rds-connections-alarm.json'), dimensions: { DBInstanceIdentifier: 'someone-else' }, resources: [{ type: 'rds-instance' as const, id: 'someone-else' }] };
    const [r] = await triageAlert(catalog, alert, { env: {}, cloudwatch: null });
    expect(r).toMatchObject({ service: null, channel: '#incidents', verdict: { kind: 'unmapped-alert' } });
    expect(r!.verdict.headline).toMatch(/no known service/);
    expect(r!.gaps[0]!.remedy).toMatch(/alarms/);
  });

  it('an OK alarm resolves without reading anything', async () => {
    const [r] = await triageAlert(catalog, alertFixture('sns-rds-connections-ok.json'), { env: {}, cloudwatch: null });
    expect(r).toMatchObject({ service: 'billing-api', channel: '#billing', verdict: { kind: 'resolved' } });
  });

  it('a firing alarm whose database cannot be resolved still reports, naming the missing variable', async () => {
    const [r] = await triageAlert(catalog, alertFixture('sns-rds-connections-alarm.json'), { env: {}, cloudwatch: null });
    // Nothing read: never "no leak found"
    expect(r!.verdict.kind).toBe('unknown');
    expect(r!.verdict.headline).toMatch(/could not read the database \(.*NOPE.*\) or the dumps/);
    expect(r!.gaps.map((g) => g.reason).join('\n')).toMatch(/environment variable NOPE is not set/);
    expect(r!.gaps.find((g) => g.source === 'dumps')?.reason).toMatch(/refused/);
  });

  it('with no evidence at all, the verdict is UNKNOWN rather than an all-clear', () => {
    const r = buildReport({
      service: catalog.services[0]!,
      alert: null,
      snapshot: null,
      dumps: { replicas: [], gaps: [] },
      metrics: null,
      gaps: [],
      startedAt: 0,
      finishedAt: 10,
      deadlineMs: 8000,
    });
    expect(r.verdict).toMatchObject({ kind: 'unknown', confidence: 'low', culprit: null, restsOn: { sessions: false, dumpsRead: 0 } });
    expect(r.actions).toEqual([]);
  });
});
