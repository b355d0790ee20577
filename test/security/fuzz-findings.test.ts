// What the fuzzer found, pinned as plain cases so they stay fixed whatever the seed.
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../lib/catalog/parse.ts';
import { DatabaseUrlError, parseDatabaseUrl } from '../../lib/sessions/target.ts';
import { redact, redactUrl } from '../../lib/redact/index.ts';
import { logText } from '../../lib/lambda/log.ts';
import { parseLeakCommand, serviceNames } from '../../lib/slack/app/leak-command.ts';
import { renderUnknownSubcommand } from '../../lib/slack/render/messages.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import { BOT_TOKEN, apiGatewayEvent, blockActionBody, commandBody } from '../support/slack-events.ts';
import { harness, sampleReport, testCatalog } from '../support/slack-harness.ts';
import { renderIncidentSummary, renderReportDetails } from '../../lib/slack/render/report.ts';

describe('database URLs', () => {
  it('a password with an unencoded "@" and "/" is never shown, in part or whole (it spilled into the path)', () => {
    const url = 'postgres://app:p@ss/Secret-Tail-77@db.internal:5432/app';
    expect(redactUrl(url)).toBe('postgres://<unparsable>');
    expect(() => parseDatabaseUrl(url)).toThrow(DatabaseUrlError);
    try {
      parseDatabaseUrl(url);
    } catch (err) {
      expect((err as Error).message).not.toMatch(/@ss|Secret-Tail/);
      expect((err as Error).message).toMatch(/percent-encode/);
    }
    // Encoded, it is an ordinary URL.
    expect(parseDatabaseUrl(`postgres://app:${encodeURIComponent('p@ss/Secret-Tail-77')}@db.internal:5432/app`).redacted).toBe('postgres://app:***@db.internal:5432/app');
  });
});

describe('reports rendered for Slack', () => {
  it('scrub every field, not only some: a pprof label, a function name, a gap target holding a connection string', () => {
    const leaky = 'postgres://app:Label-Secret-55@db.internal/app';
    const base = sampleReport();
    const finding = base.findings[0]!;
    const report = {
      ...base,
      verdict: { ...base.verdict, headline: `Transaction leak in dsn=${leaky}` },
      findings: [{ ...finding, culprit: { ...finding.culprit!, function: `main.open(${leaky})`, labels: { dsn: leaky } } }],
      gaps: [{ source: 'dumps' as const, target: leaky, reason: 'x' }],
    };
    for (const m of [renderIncidentSummary(report, { incident: null }), renderReportDetails(report, { incident: null })]) {
      expect(JSON.stringify(m)).not.toContain('Label-Secret-55');
      expect(JSON.stringify(m)).toContain('postgres://app:[redacted]@db.internal/app');
    }
  });

  it('scrubbing a long dashed run takes linear time (the URL pattern rescanned it from every letter)', () => {
    const time = (n: number) => {
      const text = 'a-'.repeat(n / 2);
      const t0 = performance.now();
      redact(text);
      logText(text, Number.MAX_SAFE_INTEGER);
      return performance.now() - t0;
    };
    // The fastest of three runs per size: load on a shared machine only ever adds time.
    const fastest = (n: number) => Math.min(time(n), time(n), time(n));
    time(1 << 14);
    const small = Math.max(fastest(1 << 15), 0.5);
    expect(fastest(1 << 18) / small).toBeLessThan(40); // 8x the input: quadratic was ~64x
  });

  it('log lines lose prefixed key=value secrets too (PGPASSWORD=…)', () => {
    expect(redact('psql failed: PGPASSWORD=Pg-Secret-9 "db_password": "Js-Secret-9"')).not.toMatch(/Pg-Secret-9|Js-Secret-9/);
  });
});

describe('/leak answers', () => {
  it('never repeat a token pasted into the command, even glued to other text', () => {
    const catalog = testCatalog();
    const cmd = parseLeakCommand(`help${BOT_TOKEN}`, catalog);
    expect(cmd.kind).toBe('unknown-subcommand');
    const answer = renderUnknownSubcommand(cmd.kind === 'unknown-subcommand' ? cmd.given : '', serviceNames(catalog));
    expect(JSON.stringify(answer)).not.toContain('xoxb-1111');
  });
});

describe('catalog', () => {
  it('prints nothing to stderr for odd YAML keys (the key could hold anything): it is an issue instead', () => {
    const written: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((w: string | Error) => void written.push(String(w))) as typeof process.emitWarning;
    try {
      const r = parseCatalog('defaults: { slackChannel: "#x" }\n? { url: "postgres://u:pw@h/d" }\n: 1\nservices: []\n', 'odd.yml');
      expect(r.ok).toBe(false);
    } finally {
      process.emitWarning = original;
    }
    expect(written).toEqual([]);
  });
});

describe('signed Slack requests Bolt itself would crash on', () => {
  const payload = (p: Record<string, unknown>) => new URLSearchParams({ payload: JSON.stringify(p) }).toString();
  const click = JSON.parse(new URLSearchParams(blockActionBody({ user: 'UAPPROVER1', actionId: ACTIONS.silence, value: 's:billing-api' })).get('payload')!) as Record<string, unknown>;

  it('answer 400 with the reason logged, not 500', async () => {
    const h = await harness();
    try {
      const bodies = [
        'null',
        payload({ ...click, actions: ['A'] }),
        payload({ ...click, user: undefined }),
        payload({ ...click, team: { id: 'constructor' } }),
        payload({ ...click, channel: null }),
        payload({ ...click, type: undefined, user: undefined }),
        payload({ ...click, type: 'NaN', user: undefined }),
        payload({ ...click, event: 'x' }),
        payload({ ...click, name: 'x', user: 'U1' }),
        commandBody('help').replace('team_id=T1', 'team_id=__proto__'),
      ];
      for (const [i, body] of bodies.entries()) {
        const ev = apiGatewayEvent(body);
        if (i === 0) ev.headers['content-type'] = 'application/json';
        const res = await h.handler(ev);
        expect(res.statusCode, body.slice(0, 80)).toBe(400);
      }
      expect(h.logger.warns.filter((w) => /refused a Slack request \(400\)/.test(w))).toHaveLength(bodies.length);
      expect(h.logger.errors).toEqual([]);
      await h.queue.inner.drain();
      expect(h.queue.jobs).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
