// What the store writes it can read back, whatever the names: incident ids within 128
// characters for any service name (long, accented, CJK, control characters, cut surrogate
// pairs), texts of audit entries and approval steps redacted and within the reader's limits, a
// step the reader would reject refused before the write; and a listing that meets a record it
// cannot read (left by an older version) skips it and reports it instead of failing.
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore, MemoryStore, type Store, type UnreadableRecord } from '../../lib/store/index.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(async () => {
  await dyn?.close();
});

const makers: Array<[string, (onUnreadable: (r: UnreadableRecord) => void) => Promise<Store>]> = [
  ['DynamoStore (dynalite)', async (onUnreadable) => new DynamoStore({ client: dyn.client, tableName: await dyn.newTable(), requestTimeoutMs: 60_000, onUnreadable })],
  ['MemoryStore', async (onUnreadable) => new MemoryStore({ onUnreadable })],
];

const NAMES: Record<string, string> = {
  '165 ASCII characters': `unmapped/${'HighConnections'.repeat(11)}`,
  '40 "é"': `unmapped/${'é'.repeat(40)}`,
  '20 CJK characters': `unmapped/${'接続数過多'.repeat(4)}`,
  '200 characters of 4-byte emoji': `unmapped/${'😀'.repeat(95)}`,
  'control characters': 'unmapped/\u0000\u001b]0;pwned\u0007\r\n\t\u009b',
  'a cut surrogate pair': 'unmapped/abc\ud83d',
  'a lone low surrogate': 'unmapped/\udc00x',
  '%- and ~ as a hash would look': 'unmapped/abc%-0123456789abcdef',
};

describe.each(makers)('%s', (_name, make) => {
  it('mints ids of at most 128 characters for any service name, and reads every incident back', async () => {
    const unreadable: UnreadableRecord[] = [];
    const store = await make((r) => unreadable.push(r));
    const long = (tail: string) => `unmapped/${'x'.repeat(180)}${tail}`;
    const services = [...Object.values(NAMES), long('a'), long('b')].map((s) => s.slice(0, 200));
    const ids = new Map<string, string>();
    for (const service of services) {
      const { outcome, incident } = await store.recordAlarm({ service, kind: 'other', state: 'alarm' });
      expect(outcome, service).toBe('opened');
      expect(incident!.id.length, service).toBeLessThanOrEqual(128);
      expect(incident!.id).toMatch(/^[A-Za-z0-9._%-]+:[A-Za-z0-9._%-]+:\d{8}-\d{6}-[0-9a-f]{6}$/);
      ids.set(service, incident!.id);
    }
    // Two long names that differ only at the end are two incidents (the hashed tail tells them apart).
    expect(ids.get(long('a').slice(0, 200))).not.toBe(ids.get(long('b').slice(0, 200)));
    for (const service of services) {
      const id = ids.get(service)!;
      expect((await store.getIncident(id))?.id, service).toBe(id);
      expect((await store.currentIncident(service, 'other'))?.id, service).toBe(id);
      expect((await store.recordAlarm({ service, kind: 'other', state: 'alarm' })).outcome, service).toBe('joined');
    }
    const open = await store.listOpenIncidents();
    expect(open.map((i) => i.id).sort()).toEqual([...ids.values()].sort());
    expect(unreadable).toEqual([]);
  });

  it('keeps audit entries and approval steps redacted and within what its reader takes', async () => {
    const store = await make(() => {});
    const leak = 'restart failed: postgres://app:Pw-Sekrit-81@db.internal/app (PGPASSWORD=Pw-Sekrit-81) Authorization: Bearer tok.Sekrit.81';
    const entry = await store.appendAudit({ actor: 'leakhound', action: 'restart.failed', target: `command mysql --password Pw-Sekrit-82 -h db`, incidentId: null, result: leak });
    const listed = await store.listAudit(null);
    expect(listed).toEqual([entry]);
    expect(JSON.stringify(listed)).not.toMatch(/Sekrit/);
    expect(entry.result).toContain('postgres://app:[redacted]@db.internal/app');

    const approval = await store.createApproval({ incidentId: null, service: 'billing-api', subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } }, requestedBy: 'UREQ', ttlMinutes: 15 });
    expect((await store.transition(approval.id, 'requested', 'approved', 'UAPPROVER1')).ok).toBe(true);
    expect((await store.transition(approval.id, 'approved', 'executing', 'leakhound')).ok).toBe(true);
    // A note far over the reader's 2,000 characters, carrying a credential near its start.
    const moved = await store.transition(approval.id, 'executing', 'failed', 'leakhound', `${leak} ${'x'.repeat(5000)}`);
    expect(moved.ok).toBe(true);
    const read = await store.getApproval(approval.id);
    expect(read?.state).toBe('failed');
    const note = read!.history.at(-1)!.note!;
    expect(note.length).toBeLessThanOrEqual(2000);
    expect(note).not.toMatch(/Sekrit/);
  });

  it('refuses an approval step its reader would reject, and the approval stays readable', async () => {
    const store = await make(() => {});
    const approval = await store.createApproval({ incidentId: null, service: 'billing-api', subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } }, requestedBy: 'UREQ', ttlMinutes: 15 });
    await expect(store.transition(approval.id, 'requested', 'denied', '')).rejects.toThrow(/refused to store an approval step/);
    expect(await store.getApproval(approval.id)).toMatchObject({ state: 'requested', history: [] });
  });
});

describe('DynamoStore listings', () => {
  it('skip and report a record the reader cannot parse (as an older version wrote it), never fail', async () => {
    const unreadable: UnreadableRecord[] = [];
    const table = await dyn.newTable();
    const store = new DynamoStore({ client: dyn.client, tableName: table, requestTimeoutMs: 60_000, onUnreadable: (r) => unreadable.push(r) });
    const good = (await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).incident!;
    // The item an unmapped alert with a 165-character name left behind: an id over 200 characters.
    const badId = `unmapped%2F${'Z'.repeat(200)}:other:20250501-120000-abcdef`;
    const now = new Date().toISOString();
    const doc = DynamoDBDocumentClient.from(dyn.client);
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: `INCIDENT#unmapped%2F${'Z'.repeat(200)}#other`, sk: 'CURRENT', id: badId, service: `unmapped/${'Z'.repeat(191)}`, kind: 'other', state: 'open', firstSeen: now, lastSeen: now, alarmCount: 1, reopenCount: 0, resolvedAt: null, gsi1pk: 'OPEN_INCIDENT', gsi1sk: `${now}#${badId}` },
      }),
    );
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'AUDIT#-', sk: `${now}#aud_bad`, id: 'aud_bad', actor: '', action: 'x', target: 'y', incidentId: null, result: 'z', at: now } }));
    const entry = await store.appendAudit({ actor: 'UREQ', action: 'triage.full.requested', target: 'billing-api', incidentId: null, result: 'queued' });

    expect((await store.listOpenIncidents()).map((i) => i.id)).toEqual([good.id]);
    expect(await store.listAudit(null)).toEqual([entry]);
    expect(unreadable).toEqual([
      { kind: 'incident', key: expect.stringContaining('INCIDENT#unmapped%2FZZZ'), reason: expect.stringMatching(/^id: /) },
      { kind: 'audit entry', key: expect.stringContaining('AUDIT#-'), reason: expect.stringMatching(/^actor: /) },
    ]);
  });
});
