// Abuse of authority through the real Slack handler (signed requests → Bolt → listeners → store):
// people who may not approve, self-approval under the two-person rule, approvals after expiry,
// buttons replayed from old messages (a request already decided, an incident since resolved),
// restarts of services the catalog does not have (by command and by a forged button value).
// Each is refused, told, and audited; none creates an approval or a job. At the end, the one
// legitimate approval gives exactly one restart, even when its job is delivered twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RestartTarget } from '../../lib/catalog/model.ts';
import { DirectoryEvidenceStore, runRestart, type Executor, type RestartResult } from '../../lib/remediation/index.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import type { AuditEntry, Incident } from '../../lib/store/model.ts';
import { blockActionBody, commandBody } from '../support/slack-events.ts';
import { channelId } from '../support/fake-slack.ts';
import { harness, type Harness } from '../support/slack-harness.ts';

const BILLING = channelId('#billing-oncall');
const TOP_TS = '1700000000.999999';

let h: Harness;
let incident: Incident;
let createApproval: ReturnType<typeof vi.spyOn>;
/** Refusals seen, by kind, for the closing figures. */
const refused: Record<string, number> = {};

beforeAll(async () => {
  h = await harness();
  const r = await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
  await h.store.setThread(r.incident!.id, { channel: BILLING, ts: TOP_TS });
  h.slack.messages.set(TOP_TS, { channel: BILLING, ts: TOP_TS, threadTs: null, text: 'top', blocks: [], metadata: null, updates: 0, deleted: false });
  incident = (await h.store.getIncident(r.incident!.id))!;
  createApproval = vi.spyOn(h.store, 'createApproval');
});
afterAll(async () => {
  await h?.close();
  console.log(`abuse of authority refused and audited: ${JSON.stringify(refused)}`);
});

let seq = 0;
const click = (user: string, actionId: string, value: string, messageTs = TOP_TS) =>
  h.send(blockActionBody({ user, actionId, value, channel: BILLING, messageTs, actionTs: `1700000300.${String(++seq).padStart(6, '0')}` }));

async function settled() {
  await h.queue.inner.drain();
}

/** The audit entries added while `act` ran. */
async function audited(incidentId: string | null, act: () => Promise<unknown>): Promise<AuditEntry[]> {
  const before = (await h.store.listAudit(incidentId)).length;
  await act();
  await settled();
  return (await h.store.listAudit(incidentId)).slice(before);
}

const lastEphemeral = (user: string) =>
  h.slack
    .callsTo('chat.postEphemeral')
    .filter((c) => c.params.user === user)
    .map((c) => JSON.stringify(c.params))
    .at(-1) ?? '';

function count(kind: string) {
  refused[kind] = (refused[kind] ?? 0) + 1;
}

let approvalId = '';

describe('approvals', () => {
  it('a restart request is opened by a Restart click (the legitimate path, for what follows)', async () => {
    const audit = await audited(incident.id, () => click('UREQUESTER', ACTIONS.restart, `i:${incident.id}`));
    expect(audit).toEqual([expect.objectContaining({ actor: 'UREQUESTER', action: 'restart.requested', result: expect.stringMatching(/^ok: apr_/) })]);
    approvalId = audit[0]!.result.replace('ok: ', '');
  });

  it('someone who is neither a listed approver nor in the approvers group is refused and audited', async () => {
    const audit = await audited(incident.id, () => click('URANDOM', ACTIONS.approve, `a:${approvalId}`));
    expect(audit).toEqual([expect.objectContaining({ actor: 'URANDOM', action: 'restart.approve-refused', target: 'deployment prod/billing-api', result: 'refused: not-an-approver' })]);
    expect(lastEphemeral('URANDOM')).toContain('not an approver');
    expect((await h.store.getApproval(approvalId))!.state).toBe('requested');
    count('not an approver');
  });

  it('the requester approving their own request under the two-person rule is refused and audited', async () => {
    const audit = await audited(incident.id, () => click('UREQUESTER', ACTIONS.approve, `a:${approvalId}`));
    expect(audit).toEqual([expect.objectContaining({ actor: 'UREQUESTER', action: 'restart.approve-refused', result: 'refused: self-approval' })]);
    expect((await h.store.getApproval(approvalId))!.state).toBe('requested');
    count('self-approval');
  });

  it('a second approver wins once; replaying the Approve button from the old message is refused as already decided', async () => {
    await click('UAPPROVER1', ACTIONS.approve, `a:${approvalId}`);
    await settled();
    expect(h.queue.ofType('restart')).toHaveLength(1);
    for (const user of ['UAPPROVER2', 'UAPPROVER1', 'UGROUPMEMBER']) {
      const audit = await audited(incident.id, () => click(user, ACTIONS.approve, `a:${approvalId}`));
      expect(audit).toEqual([expect.objectContaining({ actor: user, action: 'restart.approve-refused', result: 'refused: already-decided' })]);
      count('already decided');
    }
    // Deny after the fact changes nothing either.
    const denied = await audited(incident.id, () => click('UAPPROVER2', ACTIONS.deny, `a:${approvalId}`));
    expect(denied).toEqual([expect.objectContaining({ action: 'restart.deny-refused', result: 'refused: already-decided' })]);
    count('already decided');
    expect(h.queue.ofType('restart')).toHaveLength(1);
    expect((await h.store.getApproval(approvalId))!.history.map((s) => `${s.from}→${s.to} ${s.actor}`)).toEqual(['requested→approved UAPPROVER1']);
  });

  it('an approval after the request expired is refused, audited, and the request closed', async () => {
    const other = await h.store.recordAlarm({ service: 'ledger', kind: 'db-connections-high', state: 'alarm' });
    const opened = await audited(other.incident!.id, () => click('UAPPROVER2', ACTIONS.restart, `i:${other.incident!.id}`));
    const id = opened[0]!.result.replace('ok: ', '');
    h.clock.now += 5 * 60_000 + 1_000; // ledger's approvalTtlMinutes is 5
    const audit = await audited(other.incident!.id, () => click('UAPPROVER1', ACTIONS.approve, `a:${id}`));
    expect(audit.map((a) => `${a.actor} ${a.action} ${a.result}`)).toEqual(['UAPPROVER1 restart.approve-refused refused: expired', 'leakhound restart.expired ok']);
    expect((await h.store.getApproval(id))!.state).toBe('expired');
    count('expired');
    await h.store.recordAlarm({ service: 'ledger', kind: 'db-connections-high', state: 'ok' });
  });

  it('an approval id that was never issued is refused and audited', async () => {
    const audit = await audited(null, () => click('UAPPROVER1', ACTIONS.approve, 'a:apr_forged0000000'));
    expect(audit).toEqual([expect.objectContaining({ actor: 'UAPPROVER1', action: 'approval.approve', target: 'apr_forged0000000', result: 'refused: unknown request' })]);
    count('unknown approval');
  });
});

describe('buttons replayed from old messages', () => {
  it('Restart (and Terminate) on an incident that has since resolved are refused and audited; no request is opened', async () => {
    const r = await h.store.recordAlarm({ service: 'checkout', kind: 'lb-5xx', state: 'alarm' });
    await h.store.recordAlarm({ service: 'checkout', kind: 'lb-5xx', state: 'ok' });
    const calls = createApproval.mock.calls.length;
    const restart = await audited(r.incident!.id, () => click('UAPPROVER1', ACTIONS.restart, `i:${r.incident!.id}`));
    expect(restart).toEqual([expect.objectContaining({ actor: 'UAPPROVER1', action: 'restart.requested', target: 'checkout', result: 'refused: the incident is resolved' })]);
    expect(lastEphemeral('UAPPROVER1')).toContain('resolved');
    count('resolved incident');
    const terminate = await audited(r.incident!.id, () => click('UAPPROVER1', ACTIONS.terminate, `i:${r.incident!.id}`));
    expect(terminate).toEqual([expect.objectContaining({ action: 'terminate.requested', result: 'refused: the incident is resolved' })]);
    count('resolved incident');
    expect(createApproval.mock.calls.length).toBe(calls);
    expect(h.queue.ofType('triage').filter((j) => j.incidentId === r.incident!.id)).toHaveLength(0);
  });

  it('a button naming an incident the store does not have is refused and audited', async () => {
    const audit = await audited(null, () => click('UAPPROVER1', ACTIONS.restart, 'i:billing-api:db-connections-high:20200101-000000-000000'));
    expect(audit).toEqual([expect.objectContaining({ action: 'restart.requested', result: expect.stringMatching(/^refused: incident .* is not in the store/) })]);
    count('unknown incident');
  });
});

describe('restarts of services outside the catalog', () => {
  it('/leak restart <unknown> is refused, answered with the known services, and audited', async () => {
    const calls = createApproval.mock.calls.length;
    const audit = await audited(null, async () => {
      const res = await h.send(commandBody('restart payments-api', { user: 'UAPPROVER1' }));
      expect(JSON.parse(res.body).text).toContain('No service payments-api in the catalog');
    });
    expect(audit).toEqual([expect.objectContaining({ actor: 'UAPPROVER1', action: 'restart.requested', target: 'service payments-api', result: 'refused: not in the catalog' })]);
    expect(createApproval.mock.calls.length).toBe(calls);
    count('service not in the catalog');
  });

  it('a forged Restart button naming an unknown service is refused and audited', async () => {
    const audit = await audited(null, () => click('UAPPROVER1', ACTIONS.restart, 's:payments-api'));
    expect(audit).toEqual([expect.objectContaining({ action: 'restart.requested', target: 'service payments-api', result: 'refused: no service payments-api in the catalog' })]);
    count('service not in the catalog');
  });

  it('a forged value that is not an id at all (data, a URL) is refused and audited, never parsed further', async () => {
    for (const value of ['s:{"restart":{"command":{"argv":["rm","-rf","/"]}}}', 's:http://evil.example/pprof', 'a:apr_x i:other']) {
      const audit = await audited(null, () => click('UAPPROVER1', ACTIONS.restart, value));
      expect(audit).toEqual([expect.objectContaining({ actor: 'UAPPROVER1', action: 'leak_restart.clicked', result: 'refused: button value is not a Leakhound id' })]);
      count('forged button value');
    }
    const wrongKind = await audited(null, () => click('UAPPROVER1', ACTIONS.approve, `i:${incident.id}`));
    expect(wrongKind).toEqual([expect.objectContaining({ action: 'leak_approve.clicked', result: 'refused: button names the wrong kind of id' })]);
    count('forged button value');
  });

  it('nothing refused created an approval or a job: one request, one restart job', async () => {
    await settled();
    expect(createApproval.mock.calls.length).toBe(2); // billing-api (approved) and ledger (expired)
    expect(h.queue.ofType('restart')).toEqual([{ type: 'restart', approvalId, incidentId: incident.id, service: 'billing-api' }]);
  });
});

describe('restarts per approval', () => {
  it('the approved job, delivered four times (SQS is at-least-once: three at once, one later), restarts once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'leakhound-authority-'));
    let restarts = 0;
    const executor: Executor = {
      async restart(target: RestartTarget): Promise<RestartResult> {
        restarts++;
        const at = new Date().toISOString();
        return { outcome: 'completed', target: target.type, message: 'rolled out', issued: true, startedAt: at, finishedAt: at, rollout: null, output: null };
      },
    };
    try {
      const job = h.queue.ofType('restart')[0]!;
      const run = () =>
        runRestart({ store: h.store, queue: h.queue, executors: { kubernetes: executor }, evidence: new DirectoryEvidenceStore(dir), approvalId: job.approvalId, collectEvidence: async () => [], deadline: Date.now() + 10_000, verification: null });
      const results = await Promise.all([run(), run(), run()]);
      expect(restarts).toBe(1);
      expect(results.filter((r) => r.status === 'skipped').map((r) => r.status === 'skipped' && r.reason)).toEqual(['already-claimed', 'already-claimed']);
      const again = await run();
      expect(again).toMatchObject({ status: 'skipped', reason: 'not-approved' });
      expect(restarts).toBe(1);
      console.log(`restarts per approval: ${restarts} (job delivered 4 times)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
