// The corpus of real inputs (test/fixtures/wild): goroutine dumps and alarm payloads found in public
// bug reports, vendor docs and other projects' test data, judged against the expectations a careful
// engineer wrote in expected.json (see the README there). One `it` per file, named by the file.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseAlerts, type Alert, type AlertSource } from '../../lib/alerts/index.ts';
import { findLeaks, formatLabels, readDump, type Finding } from '../../lib/goroutines/index.ts';

const WILD = new URL('../fixtures/wild/', import.meta.url);

const FORMATS = ['debug2', 'debug1', 'traceback', 'pprof'] as const;
const KINDS = ['tx-leak', 'rows-leak', 'pool-exhausted', 'pgx-acquire-wait', 'http-body-leak', 'goroutine-leak', 'stuck-in-query'] as const;

const ExpectedFinding = z
  .object({
    kind: z.enum(KINDS),
    count: z.number().int().positive().optional(),
    countAtLeast: z.number().int().positive().optional(),
    /** Substring of the culprit function or of its labels; null: no application frame exists. */
    culprit: z.string().min(1).nullable(),
    /** `file:line` the culprit must carry, exactly (no tabs or spaces around the file). */
    culpritAt: z.string().regex(/^\S.*:\d+$/).optional(),
    /** Accepted when present (then its count must match), not required: the dump alone cannot decide. */
    optional: z.boolean().optional(),
  })
  .strict()
  .refine((f) => (f.count === undefined) !== (f.countAtLeast === undefined), 'exactly one of count / countAtLeast');

const DumpEntry = z
  .object({
    file: z.string().regex(/^dumps\/[a-z0-9.-]+\.(txt|txt\.gz|pb\.gz)$/),
    source: z.string().min(10),
    category: z.enum(['positive', 'negative', 'out-of-scope', 'ambiguous']),
    go: z.string().optional(),
    libraries: z.array(z.string()).optional(),
    shapes: z.array(z.string().min(1)).min(1),
    expect: z
      .object({
        format: z.union([z.enum(FORMATS), z.array(z.enum(FORMATS)).min(1)]),
        goroutines: z.number().int().positive().optional(),
        goroutinesAtLeast: z.number().int().positive().optional(),
        truncated: z.boolean().optional(),
        findings: z.array(ExpectedFinding),
        noOtherFindings: z.boolean(),
      })
      .strict()
      .refine((e) => (e.goroutines === undefined) !== (e.goroutinesAtLeast === undefined), 'exactly one of goroutines / goroutinesAtLeast'),
    note: z.string().optional(),
  })
  .strict()
  .refine((d) => (d.category === 'positive') === d.expect.findings.some((f) => !f.optional), 'a positive entry has a required finding, no other entry has one');

const ENDPOINT_HINT: Record<string, AlertSource | undefined> = {
  sns: 'cloudwatch-sns',
  eventbridge: 'cloudwatch-eventbridge',
  alertmanager: 'alertmanager',
  grafana: 'grafana',
  // A CloudWatch alarm that invokes the Lambda function directly: no endpoint hint exists for it.
  'lambda-alarm-action': undefined,
};

const AlertEntry = z
  .object({
    file: z.string().regex(/^alerts\/[a-z0-9.-]+\.json$/),
    source: z.string().min(10),
    endpoint: z.enum(['sns', 'eventbridge', 'alertmanager', 'grafana', 'lambda-alarm-action']),
    expect: z
      .object({
        /** The detected source; null when the payload has no source of its own in the Alert model yet. */
        source: z.enum(['cloudwatch-sns', 'cloudwatch-eventbridge', 'alertmanager', 'grafana']).nullable(),
        alerts: z.number().int().nonnegative(),
        items: z.array(
          z
            .object({
              name: z.string(),
              state: z.enum(['firing', 'resolved', 'insufficient-data']),
              kind: z.enum(['db-connections-high', 'lb-5xx', 'resolved', 'other']),
              /** Composite alarm whose actions CloudWatch suppressed: record it, do not triage. */
              suppressed: z.boolean().optional(),
            })
            .strict(),
        ),
      })
      .strict()
      .refine((e) => e.items.length === e.alerts, 'one item per expected alert'),
    note: z.string().optional(),
  })
  .strict();

const Expected = z.object({ dumps: z.array(DumpEntry), alerts: z.array(AlertEntry) }).strict();
type DumpEntry = z.infer<typeof DumpEntry>;
type AlertEntry = z.infer<typeof AlertEntry>;

const expected = Expected.parse(JSON.parse(readFileSync(new URL('expected.json', WILD), 'utf8')));

const filesIn = (dir: string): string[] =>
  readdirSync(new URL(`${dir}/`, WILD))
    .filter((name) => !name.startsWith('.'))
    .map((name) => `${dir}/${name}`)
    .sort();

/** Shapes the corpus must keep covering (the list of how dumps look in the wild). */
const REQUIRED_SHAPES = [
  'debug1',
  'debug1-no-header',
  'debug1-tabwriter-padding',
  'debug1-spaces-for-tabs',
  'indent:spaces-4',
  'indent:spaces-8',
  'log-prefix:journald',
  'log-prefix:cri',
  'log-prefix:timestamps',
  'wrapper:goleak',
  'wrapper:goleak-new',
  'wrapper:gotest',
  'test-timeout-panic',
  'sigquit',
  'panic',
  'fatal-error',
  'created-by-legacy',
  'created-by-in-goroutine',
  'wait-minutes',
  'tx-awaitdone',
  'rows-awaitdone',
  'rows-close-not-leak',
  'db-conn-waiters',
  'puddle-v1',
  'puddle-v2',
  'pgx-v4',
  'pgx-v5',
  'major-version-suffix',
  'vendored-path',
  'persistconn-readloop',
  'idle-keepalive',
  'connection-opener',
  'connection-resetter',
  'goroutineleak-profile',
  'leaked-state',
] as const;

function describeFinding(f: Finding): string {
  const labels = Object.keys(f.culprit.labels).length ? ` ${formatLabels(f.culprit.labels)}` : '';
  return `${f.kind} x${f.count} culprit=${f.culprit.function || '(none)'}${labels} [${f.culprit.evidence}]`;
}

function culpritMatches(f: Finding, culprit: string | null): boolean {
  if (culprit === null) return f.culprit.evidence === 'none' || f.culprit.evidence === 'creator';
  return f.culprit.function.includes(culprit) || formatLabels(f.culprit.labels).includes(culprit);
}

async function judgeDump(entry: DumpEntry): Promise<void> {
  const bytes = readFileSync(new URL(entry.file, WILD));
  const dump = await readDump(bytes);
  const e = entry.expect;
  const formats: readonly string[] = Array.isArray(e.format) ? e.format : [e.format];
  expect(formats, `format: read as ${dump.format}`).toContain(dump.format);
  if (e.goroutines !== undefined) expect(dump.goroutines, `goroutines read (${dump.format})`).toBe(e.goroutines);
  else expect(dump.goroutines, `goroutines read (${dump.format})`).toBeGreaterThanOrEqual(e.goroutinesAtLeast!);
  if (e.truncated !== undefined) expect(dump.truncated, 'truncated').toBe(e.truncated);

  const findings = findLeaks(dump);
  const remaining = [...findings];
  // Named culprits first, so that a null-culprit expectation of the same kind takes only the rest.
  const ordered = [...e.findings].sort((a, b) => Number(a.culprit === null) - Number(b.culprit === null));
  for (const want of ordered) {
    const matched = remaining.filter((f) => f.kind === want.kind && culpritMatches(f, want.culprit));
    for (const f of matched) remaining.splice(remaining.indexOf(f), 1);
    if (want.optional && matched.length === 0) continue;
    const what = `${want.kind} culprit=${want.culprit ?? '(no application frame)'}; got: ${findings.map(describeFinding).join('; ') || 'no findings'}`;
    const total = matched.reduce((n, f) => n + f.count, 0);
    expect(matched.length, `missing finding ${what}`).toBeGreaterThan(0);
    if (want.count !== undefined) expect(total, `count of ${what}`).toBe(want.count);
    else expect(total, `count of ${what}`).toBeGreaterThanOrEqual(want.countAtLeast!);
    if (want.culpritAt !== undefined) {
      for (const f of matched) expect(`${f.culprit.file}:${f.culprit.line}`, `culprit location of ${describeFinding(f)}`).toBe(want.culpritAt);
    }
  }
  const extra = remaining.map(describeFinding);
  if (e.noOtherFindings) expect(extra, `unexpected findings: ${extra.join('; ')}`).toEqual([]);
  // Whatever was found, a culprit location is a path as the runtime printed it, never column padding.
  for (const f of findings) expect(f.culprit.file, `culprit file of ${describeFinding(f)}`).toBe(f.culprit.file.trim());
}

function judgeAlert(entry: AlertEntry): void {
  const text = readFileSync(new URL(entry.file, WILD), 'utf8');
  const result = parseAlerts(text, ENDPOINT_HINT[entry.endpoint]);
  if (!result.ok) expect.fail(`rejected: ${result.error.message}`);
  const e = entry.expect;
  if (e.source !== null) expect(result.source, 'source').toBe(e.source);
  expect(result.alerts.map((a) => a.name), 'alerts').toHaveLength(e.alerts);
  e.items.forEach((want, i) => {
    const got: Alert = result.alerts[i]!;
    expect({ name: got.name, state: got.state, kind: got.kind }, `alert ${i}`).toEqual({ name: want.name, state: want.state, kind: want.kind });
    if (want.suppressed !== undefined) expect(got.suppressed !== null, `alert ${i} (${want.name}) suppressed`).toBe(want.suppressed);
  });
}

describe('wild corpus: the folder and expected.json agree', () => {
  it('lists every file in the folder, and only those', () => {
    const listed = [...expected.dumps, ...expected.alerts].map((e) => e.file).sort();
    expect(listed).toEqual([...filesIn('dumps'), ...filesIn('alerts')].sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('is big enough: at least 30 dumps (10 positive, 15 with no finding) and 12 alarm payloads', () => {
    expect(expected.dumps.length).toBeGreaterThanOrEqual(30);
    expect(expected.dumps.filter((d) => d.category === 'positive').length).toBeGreaterThanOrEqual(10);
    expect(expected.dumps.filter((d) => d.expect.findings.length === 0).length).toBeGreaterThanOrEqual(15);
    expect(expected.alerts.length).toBeGreaterThanOrEqual(12);
    for (const endpoint of ['sns', 'eventbridge', 'alertmanager', 'grafana'] as const) {
      expect(expected.alerts.filter((a) => a.endpoint === endpoint).length, endpoint).toBeGreaterThanOrEqual(2);
    }
  });

  it('covers the shapes dumps take in the wild', () => {
    const present = new Set(expected.dumps.flatMap((d) => d.shapes));
    expect(REQUIRED_SHAPES.filter((s) => !present.has(s)), 'required shapes with no entry').toEqual([]);
  });
});

describe('wild corpus: goroutine dumps', () => {
  for (const entry of expected.dumps) {
    it(entry.file, () => judgeDump(entry));
  }
});

describe('wild corpus: alarm payloads', () => {
  for (const entry of expected.alerts) {
    it(entry.file, () => judgeAlert(entry));
  }
});
