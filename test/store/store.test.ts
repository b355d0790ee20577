// One suite, two stores: DynamoStore against a real DynamoDB-compatible server (dynalite) and
// MemoryStore. Whatever the callers rely on must hold for both.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoStore, MemoryStore, type ApprovalSubject, type Store } from '../../lib/store/index.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

const T0 = Date.parse('2025-05-01T12:00:00.000Z');
const MIN = 60_000;
const DAY = 86_400_000;

interface Harness {
  store: Store;
  clock: { t: number };
}

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(async () => {
  await dyn?.close();
});

const implementations: Array<[string, () => Promise<Harness>]> = [
  [
    'DynamoStore (dynalite)',
    async () => {
      const clock = { t: T0 };
      const store = new DynamoStore({
        client: dyn.client,
        tableName: await dyn.newTable(),
        now: () => clock.t,
        retentionDays: 30,
        // A thousand queued requests on a loaded machine: the timeout includes the queueing.
        requestTimeoutMs: 60_000,
      });
      return { store, clock };
    },
  ],
  [
    'MemoryStore',
    async () => {
      const clock = { t: T0 };
      return { store: new MemoryStore({ now: () => clock.t, retentionDays: 30 }), clock };
    },
  ],
];

const restart: ApprovalSubject = { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } };
const fire = (store: Store, at: number, over: Partial<{ service: string; kind: string }> = {}) =>
  store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm', at, ...over });
const ok = (store: Store, at: number) => store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'ok', at });

describe.each(implementations)('%s', (_name, make) => {
  let h: Harness;
  beforeEach(async () => {
    h = await make();
  });

  describe('incidents', () => {
    it('opens on the first alarm, joins re-fires, resolves on OK', async () => {
      const first = await fire(h.store, T0);
      expect(first.outcome).toBe('opened');
      expect(first.incident).toMatchObject({ service: 'billing-api', kind: 'db-connections-high', state: 'open', alarmCount: 1, thread: null, resolvedAt: null });
      const id = first.incident!.id;
      expect(id).toMatch(/^billing-api:db-connections-high:20250501-120000-[0-9a-f]{6}$/);

      const second = await fire(h.store, T0 + MIN);
      expect(second).toMatchObject({ outcome: 'joined', incident: { id, alarmCount: 2, lastSeen: new Date(T0 + MIN).toISOString(), firstSeen: new Date(T0).toISOString() } });

      const resolved = await ok(h.store, T0 + 2 * MIN);
      expect(resolved).toMatchObject({ outcome: 'resolved', incident: { id, state: 'resolved', resolvedAt: new Date(T0 + 2 * MIN).toISOString() } });
      expect(await h.store.listOpenIncidents()).toEqual([]);
      expect((await ok(h.store, T0 + 3 * MIN)).outcome).toBe('ignored');
      expect(await h.store.getIncident(id)).toMatchObject({ state: 'resolved', alarmCount: 2 });
    });

    it('ignores an OK when there never was an incident', async () => {
      expect(await ok(h.store, T0)).toEqual({ outcome: 'ignored', incident: null });
      expect(await h.store.currentIncident('billing-api', 'db-connections-high')).toBeNull();
    });

    it('keeps separate incidents per service and kind', async () => {
      const a = await fire(h.store, T0);
      const b = await fire(h.store, T0, { kind: 'lb-5xx' });
      const c = await fire(h.store, T0, { service: 'orders-api' });
      expect([a.outcome, b.outcome, c.outcome]).toEqual(['opened', 'opened', 'opened']);
      expect(new Set([a.incident!.id, b.incident!.id, c.incident!.id]).size).toBe(3);
      const open = await h.store.listOpenIncidents();
      expect(open.map((i) => `${i.service}/${i.kind}`).sort()).toEqual(['billing-api/db-connections-high', 'billing-api/lb-5xx', 'orders-api/db-connections-high']);
    });

    it('reopens the same incident when the alarm flaps within the window, starts a new one after it', async () => {
      const opened = await fire(h.store, T0);
      const id = opened.incident!.id;
      await h.store.setThread(id, { channel: 'C0123ABCD', ts: '1714564800.000100' });
      await ok(h.store, T0 + 5 * MIN);

      const reopened = await fire(h.store, T0 + 25 * MIN);
      expect(reopened).toMatchObject({ outcome: 'reopened', incident: { id, state: 'open', reopenCount: 1, alarmCount: 2, resolvedAt: null } });
      // The thread stays: the update goes to the same message.
      expect(reopened.incident!.thread).toEqual({ channel: 'C0123ABCD', ts: '1714564800.000100' });
      expect((await fire(h.store, T0 + 26 * MIN)).outcome).toBe('joined');

      await ok(h.store, T0 + 30 * MIN);
      const fresh = await fire(h.store, T0 + 61 * MIN);
      expect(fresh.outcome).toBe('opened');
      expect(fresh.incident!.id).not.toBe(id);
      expect(fresh.incident).toMatchObject({ alarmCount: 1, reopenCount: 0, thread: null });
      expect((await h.store.currentIncident('billing-api', 'db-connections-high'))!.id).toBe(fresh.incident!.id);
      expect(await h.store.getIncident(id)).toMatchObject({ state: 'resolved' });
    });

    it('honours a per-alarm flapping window', async () => {
      await fire(h.store, T0);
      await ok(h.store, T0 + MIN);
      const again = await h.store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm', at: T0 + 10 * MIN, flappingWindowMinutes: 5 });
      expect(again.outcome).toBe('opened');
    });

    it('1000 concurrent alarms make one incident with count 1000 and exactly one "opened"', async () => {
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => fire(h.store, T0 + i)));
      const outcomes = results.map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'opened')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'joined')).toHaveLength(999);
      expect(new Set(results.map((r) => r.incident!.id)).size).toBe(1);
      const open = await h.store.listOpenIncidents();
      expect(open).toHaveLength(1);
      expect(open[0]!.alarmCount).toBe(1000);
    }, 120_000); // a correctness test: 1000 conditional writes on a loaded machine can take long

    it('concurrent re-fires long after resolution start exactly one new incident', async () => {
      const old = (await fire(h.store, T0)).incident!.id;
      await ok(h.store, T0 + MIN);
      const later = T0 + 2 * DAY;
      const results = await Promise.all(Array.from({ length: 40 }, () => fire(h.store, later)));
      expect(results.filter((r) => r.outcome === 'opened')).toHaveLength(1);
      const ids = new Set(results.map((r) => r.incident!.id));
      expect(ids.size).toBe(1);
      expect(ids.has(old)).toBe(false);
      expect((await h.store.currentIncident('billing-api', 'db-connections-high'))!.alarmCount).toBe(40);
    });

    it('concurrent re-fires within the window reopen once and join the rest', async () => {
      await fire(h.store, T0);
      await ok(h.store, T0 + MIN);
      const results = await Promise.all(Array.from({ length: 30 }, () => fire(h.store, T0 + 2 * MIN)));
      expect(results.filter((r) => r.outcome === 'reopened')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'joined')).toHaveLength(29);
      expect((await h.store.listOpenIncidents())[0]).toMatchObject({ alarmCount: 31, reopenCount: 1 });
    });

    it('sets the Slack thread once: concurrent posters, one winner', async () => {
      const id = (await fire(h.store, T0)).incident!.id;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h.store.setThread(id, { channel: 'C0123ABCD', ts: `1714564800.00010${i}` })));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const losers = results.filter((r) => !r.ok);
      for (const l of losers) expect(l).toMatchObject({ reason: 'already-set' });
      const stored = await h.store.getIncident(id);
      expect(stored!.thread).toEqual(winners[0]!.ok ? winners[0]!.incident.thread : null);
      expect(await h.store.setThread('nope', { channel: 'C0123ABCD', ts: '1.2' })).toEqual({ ok: false, reason: 'not-found' });
    });
  });

  describe('approvals', () => {
    const request = () =>
      h.store.createApproval({ incidentId: 'billing-api-x', service: 'billing-api', subject: restart, requestedBy: 'U_REQ', ttlMinutes: 15 });

    it('creates a request that expires after its TTL', async () => {
      const a = await request();
      expect(a).toMatchObject({ state: 'requested', requestedBy: 'U_REQ', requestedAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 15 * MIN).toISOString(), history: [] });
      expect(await h.store.getApproval(a.id)).toEqual(a);
      expect(await h.store.getApproval('missing')).toBeNull();
    });

    it('50 concurrent approvals: exactly one wins', async () => {
      const a = await request();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.store.transition(a.id, 'requested', 'approved', `U_APPROVER_${i}`)));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ reason: 'wrong-state', approval: { state: 'approved' } });
      const stored = (await h.store.getApproval(a.id))!;
      expect(stored.state).toBe('approved');
      expect(stored.history).toHaveLength(1);
      expect(stored.history[0]).toMatchObject({ from: 'requested', to: 'approved', note: null });
    });

    it('a retried job cannot move approved → executing twice', async () => {
      const a = await request();
      await h.store.transition(a.id, 'requested', 'approved', 'U_OK');
      const results = await Promise.all(Array.from({ length: 10 }, () => h.store.transition(a.id, 'approved', 'executing', 'leakhound')));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const done = await h.store.transition(a.id, 'executing', 'done', 'leakhound', 'rollout complete');
      expect(done.ok && done.approval.history.map((s) => `${s.from}>${s.to}:${s.actor}`)).toEqual([
        'requested>approved:U_OK',
        'approved>executing:leakhound',
        'executing>done:leakhound',
      ]);
      expect(done.ok && done.approval.history[2]!.note).toBe('rollout complete');
    });

    it('refuses transitions the state machine does not have', async () => {
      const a = await request();
      expect(await h.store.transition(a.id, 'requested', 'executing', 'x')).toEqual({ ok: false, reason: 'invalid-transition' });
      expect(await h.store.transition(a.id, 'done', 'requested', 'x')).toEqual({ ok: false, reason: 'invalid-transition' });
      expect(await h.store.transition('missing', 'requested', 'approved', 'x')).toEqual({ ok: false, reason: 'not-found' });
      expect(await h.store.transition(a.id, 'approved', 'executing', 'x')).toMatchObject({ ok: false, reason: 'wrong-state', approval: { state: 'requested' } });
    });

    it('will not approve an expired request, but may mark it expired', async () => {
      const a = await request();
      h.clock.t = T0 + 15 * MIN;
      expect(await h.store.transition(a.id, 'requested', 'approved', 'U_LATE')).toMatchObject({ ok: false, reason: 'expired', approval: { state: 'requested' } });
      expect(await h.store.transition(a.id, 'requested', 'expired', 'leakhound')).toMatchObject({ ok: true, approval: { state: 'expired' } });
    });

    it('keeps a terminate subject intact', async () => {
      const subject: ApprovalSubject = {
        action: 'terminate',
        database: 'billing',
        sessions: [{ id: 4242, backendStart: '2025-05-01T11:00:00.123456Z', transactionStarted: null, expect: 'idle_in_transaction', minIdleMs: 60_000 }],
      };
      const a = await h.store.createApproval({ incidentId: null, service: 'billing-api', subject, requestedBy: 'U1', ttlMinutes: 5 });
      expect((await h.store.getApproval(a.id))!.subject).toEqual(subject);
    });

    it('refuses a duplicate id', async () => {
      await h.store.createApproval({ id: 'apr-1', incidentId: null, service: 's', subject: restart, requestedBy: 'U1', ttlMinutes: 5 });
      await expect(h.store.createApproval({ id: 'apr-1', incidentId: null, service: 's', subject: restart, requestedBy: 'U1', ttlMinutes: 5 })).rejects.toThrow(/exists/);
    });
  });

  describe('audit log', () => {
    it('appends and lists per incident, oldest first', async () => {
      await h.store.appendAudit({ actor: 'U1', action: 'restart.requested', target: 'deployment prod/billing-api', incidentId: 'inc-1', result: 'ok', at: T0 + 2000 });
      await h.store.appendAudit({ actor: 'U2', action: 'restart.approved', target: 'deployment prod/billing-api', incidentId: 'inc-1', result: 'ok', at: T0 + 3000 });
      await h.store.appendAudit({ actor: 'U3', action: 'restart.approved', target: 'deployment prod/billing-api', incidentId: 'inc-1', result: 'refused: self-approval', at: T0 + 1000 });
      await h.store.appendAudit({ actor: 'U9', action: 'sessions.read', target: 'orders-db', incidentId: null, result: 'ok' });
      await h.store.appendAudit({ actor: 'U1', action: 'restart.requested', target: 'x', incidentId: 'inc-2', result: 'ok' });
      const list = await h.store.listAudit('inc-1');
      expect(list.map((e) => e.actor)).toEqual(['U3', 'U1', 'U2']);
      expect(list[0]).toMatchObject({ action: 'restart.approved', result: 'refused: self-approval', at: new Date(T0 + 1000).toISOString() });
      expect((await h.store.listAudit(null)).map((e) => e.actor)).toEqual(['U9']);
      expect(await h.store.listAudit('none')).toEqual([]);
    });
  });

  describe('dump baselines', () => {
    it('keeps the newest summary per service', async () => {
      const summary = { goroutines: 1200, byClass: { 'tx-leak': 3 }, note: '', nested: [1, null, 'x'] };
      expect(await h.store.putDumpBaseline({ service: 'billing-api', at: new Date(T0).toISOString(), summary })).toBe(true);
      expect(await h.store.getDumpBaseline('billing-api')).toEqual({ service: 'billing-api', at: new Date(T0).toISOString(), summary });
      expect(await h.store.putDumpBaseline({ service: 'billing-api', at: new Date(T0 - 1000).toISOString(), summary: { old: true } })).toBe(false);
      expect(await h.store.putDumpBaseline({ service: 'billing-api', at: new Date(T0 + 1000).toISOString(), summary: { goroutines: 9 } })).toBe(true);
      expect((await h.store.getDumpBaseline('billing-api'))!.summary).toEqual({ goroutines: 9 });
      expect(await h.store.getDumpBaseline('other')).toBeNull();
    });

    it('refuses an oversized summary with a clear error', async () => {
      await expect(h.store.putDumpBaseline({ service: 's', at: new Date(T0).toISOString(), summary: 'x'.repeat(400_000) })).rejects.toThrow(/limit/);
    });
  });

  describe('idempotency and TTL', () => {
    it('claims a key once until its TTL passes (expired items count as absent)', async () => {
      expect(await h.store.claim('slack:retry:abc', 60)).toBe(true);
      const again = await Promise.all(Array.from({ length: 20 }, () => h.store.claim('slack:retry:abc', 60)));
      expect(again.every((c) => c === false)).toBe(true);
      h.clock.t = T0 + 59_000;
      expect(await h.store.claim('slack:retry:abc', 60)).toBe(false);
      h.clock.t = T0 + 60_000;
      expect(await h.store.claim('slack:retry:abc', 60)).toBe(true);
    });

    it('50 concurrent claims of a fresh key: one true', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => h.store.claim('sqs:msg-1', 300)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('release lets a failed piece of work be claimed again', async () => {
      expect(await h.store.claim('job:1', 600)).toBe(true);
      await h.store.release('job:1');
      expect(await h.store.claim('job:1', 600)).toBe(true);
      await h.store.release('never-claimed');
    });

    it('treats approvals, resolved incidents and audit entries past retention as absent', async () => {
      const a = await h.store.createApproval({ incidentId: null, service: 's', subject: restart, requestedBy: 'U1', ttlMinutes: 5 });
      const inc = (await fire(h.store, T0)).incident!;
      await ok(h.store, T0 + MIN);
      await h.store.appendAudit({ actor: 'U1', action: 'x', target: 't', incidentId: inc.id, result: 'ok' });

      h.clock.t = T0 + 29 * DAY;
      expect(await h.store.getApproval(a.id)).not.toBeNull();
      expect(await h.store.getIncident(inc.id)).not.toBeNull();

      h.clock.t = T0 + 31 * DAY;
      expect(await h.store.getApproval(a.id)).toBeNull();
      expect(await h.store.transition(a.id, 'requested', 'expired', 'x')).toEqual({ ok: false, reason: 'not-found' });
      expect(await h.store.getIncident(inc.id)).toBeNull();
      expect(await h.store.listAudit(inc.id)).toEqual([]);
      expect(await h.store.setThread(inc.id, { channel: 'C1', ts: '1.1' })).toEqual({ ok: false, reason: 'not-found' });
      // The expired incident is not resurrected: a new alarm opens a new one.
      const next = await fire(h.store, h.clock.t);
      expect(next.outcome).toBe('opened');
      expect(next.incident!.id).not.toBe(inc.id);
      // And an expired approval id may be reused.
      await h.store.createApproval({ id: a.id, incidentId: null, service: 's', subject: restart, requestedBy: 'U1', ttlMinutes: 5 });
    });

    it('an open incident never expires', async () => {
      const inc = (await fire(h.store, T0)).incident!;
      h.clock.t = T0 + 365 * DAY;
      expect(await h.store.getIncident(inc.id)).toMatchObject({ state: 'open' });
      expect((await fire(h.store, h.clock.t)).outcome).toBe('joined');
    });
  });

  describe('input validation', () => {
    it('rejects malformed input at the boundary', async () => {
      await expect(h.store.recordAlarm({ service: '', kind: 'k', state: 'alarm' })).rejects.toThrow();
      await expect(h.store.recordAlarm({ service: 's', kind: 'k', state: 'INSUFFICIENT_DATA' as 'ok' })).rejects.toThrow();
      await expect(h.store.claim('k', 0)).rejects.toThrow();
      await expect(
        h.store.createApproval({ incidentId: null, service: 's', subject: { action: 'restart', target: { type: 'command', argv: [], timeoutSeconds: 5 } }, requestedBy: 'U', ttlMinutes: 5 }),
      ).rejects.toThrow();
    });
  });
});
