// The restart approval flow through the real handler: Restart click → request in the thread →
// Approve / Deny, with the two-person rule, approvers by id or user group, expiry, and exactly
// one restart job however many clicks arrive at once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import type { Incident } from '../../lib/store/model.ts';
import { blockActionBody } from '../support/slack-events.ts';
import { harness, type Harness } from '../support/slack-harness.ts';
import { channelId, type StoredMessage } from '../support/fake-slack.ts';

let h: Harness;
let incident: Incident;
const BILLING = channelId('#billing-oncall');
const TOP_TS = '1700000000.999999';

beforeEach(async () => {
  h = await harness();
  const r = await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
  // The worker has posted the incident's top message already.
  await h.store.setThread(r.incident!.id, { channel: BILLING, ts: TOP_TS });
  h.slack.messages.set(TOP_TS, { channel: BILLING, ts: TOP_TS, threadTs: null, text: 'top', blocks: [], metadata: null, updates: 0, deleted: false });
  incident = (await h.store.getIncident(r.incident!.id))!;
});
afterEach(async () => {
  await h.close();
});

const click = (user: string, actionId: string, value: string, extra: { messageTs?: string; actionTs?: string; retryNum?: number } = {}) =>
  h.send(blockActionBody({ user, actionId, value, channel: BILLING, messageTs: extra.messageTs ?? TOP_TS, ...(extra.actionTs ? { actionTs: extra.actionTs } : {}) }), extra.retryNum ? { retryNum: extra.retryNum } : {});

/** Restart click by `requester`; returns the approval id and the request message Slack got. */
async function requestRestart(requester = 'UREQUESTER'): Promise<{ approvalId: string; request: StoredMessage }> {
  const res = await click(requester, ACTIONS.restart, `i:${incident.id}`);
  expect(res.statusCode).toBe(200);
  const request = h.slack.replies(TOP_TS).find((m) => JSON.stringify(m.blocks).includes(ACTIONS.approve));
  expect(request, 'the approval request was posted in the incident thread').toBeTruthy();
  const value = JSON.stringify(request!.blocks).match(/"value":"a:(apr_[^"]+)"/);
  return { approvalId: value![1]!, request: request! };
}

const threadText = () =>
  h.slack
    .replies(TOP_TS)
    .map((m) => messageToText({ text: m.text, blocks: m.blocks as never }))
    .join('\n');
const ephemerals = () => h.slack.callsTo('chat.postEphemeral').map((c) => ({ user: c.params.user, text: messageToText({ text: String(c.params.text), blocks: c.params.blocks as never }) }));

describe('restart request', () => {
  it('posts who, when, target and incident in the thread, with Approve/Deny carrying the approval id only; audited', async () => {
    const { approvalId, request } = await requestRestart();
    const text = messageToText({ text: request.text, blocks: request.blocks as never });
    expect(text).toContain('Restart requested by @UREQUESTER');
    expect(text).toContain('`deployment prod/billing-api` (service `billing-api`)');
    expect(text).toContain(`Incident \`${incident.id}\``);
    expect(text).toContain('(not the requester)');
    expect(request.threadTs).toBe(TOP_TS);
    expect((request.metadata as { event_payload: Record<string, string> }).event_payload).toMatchObject({ incident_id: incident.id, approval_id: approvalId });
    const approval = await h.store.getApproval(approvalId);
    expect(approval).toMatchObject({ state: 'requested', requestedBy: 'UREQUESTER', incidentId: incident.id, subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } } });
    expect(Date.parse(approval!.expiresAt) - Date.parse(approval!.requestedAt)).toBe(15 * 60_000);
    const audit = await h.store.listAudit(incident.id);
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([['UREQUESTER', 'restart.requested', `ok: ${approvalId}`]]);
    await h.queue.inner.drain();
    expect(h.queue.ofType('restart')).toHaveLength(0);
  });

  it('a double click on Restart opens one request', async () => {
    await Promise.all([click('UREQUESTER', ACTIONS.restart, `i:${incident.id}`), click('UREQUESTER', ACTIONS.restart, `i:${incident.id}`)]);
    const requests = h.slack.replies(TOP_TS).filter((m) => JSON.stringify(m.blocks).includes(ACTIONS.approve));
    expect(requests).toHaveLength(1);
    expect(ephemerals().some((e) => e.text.includes('was just requested'))).toBe(true);
  });

  it('a service without a restart target says so and opens nothing', async () => {
    const r = await h.store.recordAlarm({ service: 'checkout', kind: 'db-connections-high', state: 'alarm' });
    await click('UREQUESTER', ACTIONS.restart, `i:${r.incident!.id}`);
    expect(ephemerals()[0]!.text).toContain('checkout has no restart target in the catalog');
    expect((await h.store.listAudit(r.incident!.id))[0]).toMatchObject({ action: 'restart.requested', result: 'refused: no restart target' });
  });
});

describe('approval', () => {
  it('self-approval is refused under the two-person rule (even for a listed approver): no job, shown and audited', async () => {
    const { approvalId } = await requestRestart('UREQUESTER');
    await click('UREQUESTER', ACTIONS.approve, `a:${approvalId}`);
    await h.queue.inner.drain();
    expect(h.queue.ofType('restart')).toHaveLength(0);
    expect((await h.store.getApproval(approvalId))!.state).toBe('requested');
    expect(ephemerals().at(-1)).toMatchObject({ user: 'UREQUESTER' });
    expect(ephemerals().at(-1)!.text).toContain('requested it and cannot approve it too (two-person rule)');
    expect(threadText()).toContain('@UREQUESTER requested it and cannot approve it too');
    const audit = await h.store.listAudit(incident.id);
    expect(audit.at(-1)).toMatchObject({ actor: 'UREQUESTER', action: 'restart.approve-refused', result: 'refused: self-approval' });
  });

  it('a non-approver is refused; a user-group member is accepted (usergroups.users.list, cached)', async () => {
    const { approvalId } = await requestRestart();
    await click('URANDOM', ACTIONS.approve, `a:${approvalId}`);
    expect(ephemerals().at(-1)!.text).toContain('@URANDOM is not an approver for this service');
    expect((await h.store.listAudit(incident.id)).at(-1)).toMatchObject({ actor: 'URANDOM', result: 'refused: not-an-approver' });
    expect((await h.store.getApproval(approvalId))!.state).toBe('requested');

    await click('UGROUPMEMBER', ACTIONS.approve, `a:${approvalId}`);
    await h.queue.inner.drain();
    expect(h.queue.ofType('restart')).toEqual([{ type: 'restart', approvalId, incidentId: incident.id, service: 'billing-api' }]);
    // One lookup for both clicks (the first one cached the members).
    expect(h.slack.callsTo('usergroups.users.list')).toHaveLength(1);
    expect(h.slack.callsTo('usergroups.users.list')[0]!.params).toMatchObject({ usergroup: 'SONCALL01' });
  });

  it('an approval after expiry is refused, the request is marked expired, in the thread and the audit log', async () => {
    const { approvalId, request } = await requestRestart();
    h.clock.now += 15 * 60_000 + 1_000;
    await click('UAPPROVER1', ACTIONS.approve, `a:${approvalId}`, { messageTs: request.ts });
    await h.queue.inner.drain();
    expect(h.queue.ofType('restart')).toHaveLength(0);
    expect((await h.store.getApproval(approvalId))!.state).toBe('expired');
    expect(ephemerals().at(-1)!.text).toContain('too late: the request has expired');
    expect(threadText()).toContain('expired without approval');
    // The request message lost its buttons.
    const updated = h.slack.messages.get(request.ts)!;
    expect(updated.updates).toBe(1);
    expect(JSON.stringify(updated.blocks)).not.toContain(ACTIONS.approve);
    expect(messageToText({ text: updated.text, blocks: updated.blocks as never })).toContain('Expired');
    const actions = (await h.store.listAudit(incident.id)).map((a) => `${a.actor} ${a.action} ${a.result}`);
    expect(actions).toEqual([`UREQUESTER restart.requested ok: ${approvalId}`, 'UAPPROVER1 restart.approve-refused refused: expired', 'leakhound restart.expired ok']);
  });

  it('50 concurrent approvals (double clicks, several approvers, Slack retries) → exactly one restart job', async () => {
    const { approvalId, request } = await requestRestart();
    const approvers = ['UAPPROVER1', 'UAPPROVER2', 'UGROUPMEMBER'];
    const clicks = Array.from({ length: 50 }, (_, i) => {
      // Every fifth delivery is Slack retrying the one before (same user, same action_ts); the
      // other 40 are separate clicks by three approvers.
      const retry = i % 5 === 4;
      const n = retry ? i - 1 : i;
      const user = approvers[n % approvers.length]!;
      const actionTs = `1700000200.${String(n).padStart(6, '0')}`;
      return click(user, ACTIONS.approve, `a:${approvalId}`, { messageTs: request.ts, actionTs, ...(retry ? { retryNum: 1 } : {}) });
    });
    const before = h.slack.calls.length;
    const t0 = performance.now();
    const responses = await Promise.all(clicks);
    const ms = performance.now() - t0;
    await h.queue.inner.drain();
    const calls = h.slack.calls.slice(before).reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.method]: (acc[c.method] ?? 0) + 1 }), {});
    console.log(`50 approvals in ${ms.toFixed(0)} ms → ${h.queue.ofType('restart').length} restart job; Slack calls ${JSON.stringify(calls)}`);
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    expect(h.queue.ofType('restart')).toHaveLength(1);
    const approval = (await h.store.getApproval(approvalId))!;
    expect(approval.state).toBe('approved');
    expect(approval.history).toHaveLength(1);
    const audit = await h.store.listAudit(incident.id);
    expect(audit.filter((a) => a.action === 'restart.approved')).toHaveLength(1);
    // The losers are told privately; the thread says once who approved.
    expect((threadText().match(/approved the restart/g) ?? []).length).toBe(1);
    // 40 distinct clicks: one won, 39 were told privately; the 10 retries did nothing at all.
    expect(ephemerals().filter((e) => e.text.includes('already decided'))).toHaveLength(39);
    expect(audit.filter((a) => a.action === 'restart.approve-refused')).toHaveLength(39);
    // The Approvals metric says the same: one request, one approval, 39 refusals.
    expect(h.meter.totals).toEqual({ 'Approvals requested': 1, 'Approvals approved': 1, 'Approvals refused': 39 });
    expect(messageToText({ text: h.slack.messages.get(request.ts)!.text, blocks: h.slack.messages.get(request.ts)!.blocks as never })).toContain(`Approved by @${approval.history[0]!.actor}`);
  });

  it('Deny by an approver closes the request; a later Approve does nothing', async () => {
    const { approvalId, request } = await requestRestart();
    await click('UAPPROVER2', ACTIONS.deny, `a:${approvalId}`, { messageTs: request.ts });
    await click('UAPPROVER1', ACTIONS.approve, `a:${approvalId}`, { messageTs: request.ts });
    await h.queue.inner.drain();
    expect(h.queue.ofType('restart')).toHaveLength(0);
    expect((await h.store.getApproval(approvalId))!.state).toBe('denied');
    expect(threadText()).toContain('@UAPPROVER2 denied the restart');
    const audit = (await h.store.listAudit(incident.id)).map((a) => `${a.actor} ${a.action} ${a.result}`);
    expect(audit).toContain('UAPPROVER2 restart.denied ok');
    expect(audit).toContain('UAPPROVER1 restart.approve-refused refused: already-decided');
  });

  it('without the two-person rule the requester may approve their own request (ledger)', async () => {
    const r = await h.store.recordAlarm({ service: 'ledger', kind: 'db-connections-high', state: 'alarm' });
    await click('UAPPROVER1', ACTIONS.restart, `i:${r.incident!.id}`);
    const approval = (await h.store.listAudit(r.incident!.id))[0]!.result.replace('ok: ', '');
    await click('UAPPROVER1', ACTIONS.approve, `a:${approval}`);
    await h.queue.inner.drain();
    expect(h.queue.ofType('restart')).toHaveLength(1);
  });

  it('/leak restart without an incident posts the request in the service channel', async () => {
    const { commandBody } = await import('../support/slack-events.ts');
    const res = await h.send(commandBody('restart ledger', { user: 'UAPPROVER1' }));
    expect(JSON.parse(res.body).text).toContain('Restart of ledger requested');
    const posted = h.slack.topLevel(channelId('#leakhound'));
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0]!.blocks)).toContain(ACTIONS.approve);
  });
});

describe('other buttons', () => {
  it('Re-run queues a triage job for the incident; Silence is audited and told in the thread', async () => {
    await click('UASKER', ACTIONS.rerun, `i:${incident.id}`);
    await click('UASKER', ACTIONS.silence, `i:${incident.id}`);
    await h.queue.inner.drain();
    expect(h.queue.ofType('triage')).toEqual([expect.objectContaining({ service: 'billing-api', incidentId: incident.id, trigger: 'button', scope: 'full', requestedBy: 'UASKER' })]);
    expect(threadText()).toContain('@UASKER silenced this incident until');
    const audit = (await h.store.listAudit(incident.id)).find((a) => a.action === 'incident.silenced')!;
    expect(audit.result).toMatch(/^until \d{4}-/);
  });

  it('Terminate queues a fresh sessions read (trigger button) and says the request follows', async () => {
    await click('UASKER', ACTIONS.terminate, `i:${incident.id}`);
    await h.queue.inner.drain();
    expect(h.queue.ofType('triage')).toEqual([expect.objectContaining({ scope: 'sessions', trigger: 'button', incidentId: incident.id })]);
    expect(ephemerals()[0]!.text).toContain('the approval request follows');
  });

  it('a forged button value (data instead of an id) is ignored', async () => {
    await click('UAPPROVER1', ACTIONS.approve, 'a:{"state":"approved"}');
    await click('UAPPROVER1', ACTIONS.approve, `i:${incident.id}`);
    await h.queue.inner.drain();
    expect(h.queue.jobs).toHaveLength(0);
    expect(h.slack.calls.filter((c) => c.method.startsWith('chat.'))).toHaveLength(0);
  });
});
