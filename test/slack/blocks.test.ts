// Rendering is pure: Report in, Block Kit out, always within Slack's limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderIncidentSummary, renderReport, renderReportDetails } from '../../lib/slack/render/report.ts';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { ACTIONS, buttonTargetSchema } from '../../lib/slack/render/action-ids.ts';
import { clip, fitLines } from '../../lib/slack/render/mrkdwn.ts';
import { redact } from '../../lib/redact/index.ts';
import {
  renderApprovalOutcome,
  renderApprovalRequest,
  renderHelp,
  renderProgress,
  renderResolved,
  renderStatus,
  renderUnknownService,
  renderUnknownSubcommand,
} from '../../lib/slack/render/messages.ts';
import type { SlackMessage } from '../../lib/slack/render/block-kit.ts';
import type { Approval } from '../../lib/store/model.ts';
import { blockKitProblem } from '../support/fake-slack.ts';
import { DB_PASSWORD, RAW_LITERALS, oversizedReport, sampleReport } from '../support/slack-harness.ts';

const incident = { id: 'billing-api-20261123-050000-abc123', alarmCount: 3, firstSeen: '2026-11-23T04:59:00.000Z' };

function buttons(m: SlackMessage) {
  return m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])).filter((e) => e.type === 'button');
}

function expectValid(m: SlackMessage): void {
  expect(blockKitProblem(m.blocks)).toBeNull();
  expect(m.text.length).toBeLessThanOrEqual(3000);
  for (const b of buttons(m)) expect(b.type === 'button' && (b.value ?? '').length).toBeLessThanOrEqual(2000);
}

describe('report rendering', () => {
  it('summary: verdict header, capacity, culprit with code location and evidence, buttons, incident metadata', () => {
    const m = renderIncidentSummary(sampleReport(), { incident });
    expectValid(m);
    const header = m.blocks[0]!;
    expect(header.type).toBe('header');
    expect(header.type === 'header' && header.text.text).toContain('billing-api: Transaction leak in route=/transfer');
    const text = messageToText(m);
    expect(text).toContain('97 / 97 in use');
    expect(text).toContain('FULL');
    expect(text).toContain('+3.2 per minute');
    expect(text).toContain('full now');
    expect(text).toContain('`main.(*api).transfer` at `api/handlers.go:70`');
    expect(text).toContain('route=/transfer');
    expect(text).toContain('42 goroutines in database/sql.(*Tx).awaitDone');
    expect(m.metadata).toEqual({ event_type: 'leakhound_incident', event_payload: { incident_id: incident.id, report_id: 'rep-1', service: 'billing-api' } });

    const bs = buttons(m);
    expect(bs.map((b) => b.type === 'button' && b.action_id)).toEqual([ACTIONS.restart, ACTIONS.terminate, ACTIONS.rerun, ACTIONS.silence]);
    const [restart, terminate] = bs;
    expect(restart!.type === 'button' && restart!.style).toBe('danger');
    expect(restart!.type === 'button' && restart!.confirm?.title?.text).toBe('Request a restart of billing-api?');
    expect(terminate!.type === 'button' && terminate!.text.text).toBe('Terminate 3 leaked sessions');
    expect(terminate!.type === 'button' && terminate!.confirm).toBeTruthy();
    // Values are ids only.
    for (const b of bs) expect(b.type === 'button' && b.value).toBe(`i:${incident.id}`);
  });

  it('details: every finding, replica table, sessions, gaps and actions', () => {
    const m = renderReportDetails(sampleReport(), { incident });
    expectValid(m);
    const text = messageToText(m);
    expect(text).toMatch(/replica\s+goroutines\s+tx\s+rows\s+waiting\s+sessions\s+idle-tx\s+oldest\s+status/);
    expect(text).toMatch(/billing-api-7d9f-abcde\s+512\s+42\s+0\s+7\s+48\s+40\s+12m\s+ok/);
    expect(text).toContain('Could not read');
    expect(text).toContain('Recommended');
    expect(text).toContain('defer tx.Rollback()');
    expect(buttons(m)).toHaveLength(0);
  });

  it('never carries raw query text or credentials: fingerprints only, URLs and password= scrubbed', () => {
    for (const m of [renderReport(sampleReport(), { incident }), renderIncidentSummary(sampleReport(), { incident }), renderReportDetails(sampleReport(), { incident })]) {
      const json = JSON.stringify(m);
      for (const lit of RAW_LITERALS) expect(json).not.toContain(lit);
      expect(json).not.toContain(DB_PASSWORD);
    }
    expect(messageToText(renderReportDetails(sampleReport(), { incident }))).toContain('postgres://billing:[redacted]@db.internal');
  });

  it('an oversized Report still gives valid messages: at most 50 blocks, every text within its limit, "+N more"', () => {
    const huge = oversizedReport();
    for (const m of [renderIncidentSummary(huge, { incident }), renderReportDetails(huge, { incident }), renderReport(huge, { incident })]) {
      expectValid(m);
      expect(m.blocks.length).toBeLessThanOrEqual(50);
      expect(JSON.stringify(m.blocks)).toMatch(/\+\d+ more/);
    }
    const all = renderReport(huge, { incident });
    expect(all.blocks).toHaveLength(50);
    // The buttons survive the cut.
    expect(all.blocks[49]!.type).toBe('actions');
    expect(JSON.stringify(all.blocks)).toContain('more sections not shown');
    const header = all.blocks[0]!;
    expect(header.type === 'header' && header.text.text.length).toBeLessThanOrEqual(150);
  });

  it('any Report shape renders within the limits (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 800 });
    fc.assert(
      fc.property(
        fc.record({
          headline: text,
          findings: fc.array(fc.record({ summary: text, ev: fc.array(text, { maxLength: 12 }), fn: text }), { maxLength: 60 }),
          replicas: fc.array(fc.record({ name: text, status: text }), { maxLength: 80 }),
          gaps: fc.array(text, { maxLength: 40 }),
          actions: fc.array(text, { maxLength: 40 }),
        }),
        (x) => {
          const base = sampleReport();
          const f0 = base.findings[0]!;
          const r = {
            ...base,
            verdict: { ...base.verdict, headline: x.headline },
            findings: x.findings.map((f) => ({ ...f0, summary: f.summary, evidence: f.ev.map((t) => ({ source: 'sessions' as const, text: t })), culprit: { ...f0.culprit!, function: f.fn } })),
            replicas: x.replicas.map((p) => ({ ...base.replicas[0]!, replica: p.name, status: p.status })),
            gaps: x.gaps.map((g) => ({ source: 'dumps' as const, target: g, reason: g })),
            actions: [...base.actions.slice(0, 2), ...x.actions.map((a) => ({ kind: 'code-fix' as const, text: a }))],
          };
          for (const m of [renderIncidentSummary(r, { incident }), renderReportDetails(r, { incident }), renderReport(r, { incident: null })]) {
            expect(blockKitProblem(m.blocks)).toBeNull();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('escapes data so it cannot mention, link or ping (<!channel>)', () => {
    const r = sampleReport({ gaps: [{ source: 'dumps', target: '<!channel>', reason: '<@U123> & <https://evil|click>' }] });
    const json = JSON.stringify(renderReportDetails(r, { incident }));
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<@U123>');
    expect(json).toContain('&lt;!channel&gt;');
  });

  it('a report with no incident offers buttons keyed by service, and no Silence', () => {
    const m = renderReport(sampleReport(), { incident: null });
    const values = buttons(m).map((b) => b.type === 'button' && b.value);
    expect(values.every((v) => v === 's:billing-api')).toBe(true);
    expect(buttons(m).map((b) => b.type === 'button' && b.action_id)).not.toContain(ACTIONS.silence);
    expect(m.metadata).toBeUndefined();
  });
});

describe('other messages', () => {
  const approval: Approval = {
    id: 'apr_abc',
    incidentId: incident.id,
    service: 'billing-api',
    subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } },
    requestedBy: 'UREQUESTER',
    requestedAt: '2026-11-23T05:01:00.000Z',
    expiresAt: '2026-11-23T05:16:00.000Z',
    state: 'requested',
    history: [],
  };
  const approvers = { users: ['UAPPROVER1'], usergroup: 'SONCALL01' };

  it('progress, resolved, help, status, unknown answers are valid and readable', () => {
    const progress = renderProgress({
      service: 'billing-api',
      incidentId: incident.id,
      steps: [
        { stage: 'sessions', text: 'read 97 sessions', done: true },
        { stage: 'dumps', text: 'fetching dumps 7/12', done: false },
      ],
    });
    expect(messageToText(progress)).toContain('✅ read 97 sessions');
    expect(messageToText(progress)).toContain('⏳ fetching dumps 7/12…');
    const resolved = renderResolved({
      incident: { id: incident.id, service: 'billing-api', firstSeen: '2026-11-23T04:59:00.000Z', resolvedAt: '2026-11-23T05:41:00.000Z', alarmCount: 3, reopenCount: 0 },
      lastHeadline: 'Transaction leak in route=/transfer',
    });
    expect(messageToText(resolved)).toContain('after 42m');
    const many = Array.from({ length: 400 }, (_, i) => `service-${i}`);
    for (const m of [progress, resolved, renderHelp(many), renderUnknownSubcommand('frobnicate', many), renderUnknownService('triage', 'nope', many), renderStatus([])]) expectValid(m);
    expect(messageToText(renderUnknownService('triage', 'nope', ['billing-api', 'checkout']))).toContain('No service `nope` in the catalog. Known services: `billing-api`, `checkout`');
  });

  it('approval request: who, when, target, incident, approvers; Approve/Deny carry the approval id only', () => {
    const m = renderApprovalRequest({ approval, approvers, twoPersonRule: true });
    expectValid(m);
    const text = messageToText(m);
    expect(text).toContain('Restart requested by @UREQUESTER at 2026-11-23 05:01 UTC');
    expect(text).toContain('deployment prod/billing-api');
    expect(text).toContain(incident.id);
    expect(text).toContain('@UAPPROVER1, @SONCALL01 (not the requester)');
    const bs = buttons(m);
    expect(bs.map((b) => b.type === 'button' && [b.action_id, b.value])).toEqual([
      [ACTIONS.approve, 'a:apr_abc'],
      [ACTIONS.deny, 'a:apr_abc'],
    ]);
    const outcome = renderApprovalOutcome({
      approval: { ...approval, state: 'approved', history: [{ from: 'requested', to: 'approved', actor: 'UAPPROVER1', at: '2026-11-23T05:02:00.000Z', note: null }] },
      approvers,
      twoPersonRule: true,
    });
    expect(buttons(outcome)).toHaveLength(0);
    expect(messageToText(outcome)).toContain('Approved by @UAPPROVER1');
  });
});

describe('text helpers', () => {
  it('clip never splits an entity, a mention or a surrogate pair, and closes a code fence', () => {
    expect(clip('a &amp; b', 5)).toBe('a …');
    expect(clip('hi <@U123456> there', 8)).toBe('hi …');
    expect(clip('😀😀😀', 4)).toBe('😀…');
    const fenced = clip('```\n' + 'x'.repeat(100) + '\n```', 50);
    expect(fenced.length).toBeLessThanOrEqual(50);
    expect(fenced.match(/```/g)).toHaveLength(2);
  });

  it('fitLines ends with +N more and stays within the budget', () => {
    const out = fitLines(Array.from({ length: 100 }, (_, i) => `line ${i}`), 60);
    expect(out.length).toBeLessThanOrEqual(60);
    expect(out).toMatch(/\+\d+ more$/);
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 50 }), fc.integer({ min: 20, max: 3000 }), (lines, max) => {
        expect(fitLines(lines, max).length).toBeLessThanOrEqual(max);
      }),
    );
  });

  it('redact removes URL passwords, Slack tokens and password= pairs', () => {
    expect(redact('postgres://app:hunter2@db:5432/x')).toBe('postgres://app:[redacted]@db:5432/x');
    expect(redact('token xoxb-123-456-abc')).toBe('token xoxb-[redacted]');
    expect(redact('host=db password=hunter2 user=app')).toBe('host=db password=[redacted] user=app');
  });

  it('button values parse back to ids and nothing else', () => {
    expect(buttonTargetSchema.parse('a:apr_abc')).toEqual({ kind: 'approval', id: 'apr_abc' });
    expect(buttonTargetSchema.safeParse('a:{"approved":true}').success).toBe(false);
    expect(buttonTargetSchema.safeParse('x:1').success).toBe(false);
  });
});
