// The CLI's MemoryStore persisted to a JSON file: state survives a reopen; a damaged file fails loudly.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lib/store/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leakhound-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MemoryStore with a file', () => {
  it('persists incidents, approvals, audit, baselines and claims across reopen', async () => {
    const file = join(dir, 'nested', 'store.json');
    const a = await MemoryStore.open(file);
    const inc = (await a.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).incident!;
    await a.setThread(inc.id, { channel: 'C0123ABCD', ts: '1.000100' });
    const apr = await a.createApproval({ incidentId: inc.id, service: 'billing-api', subject: { action: 'restart', target: { type: 'command', argv: ['true'], timeoutSeconds: 5 } }, requestedBy: 'U1', ttlMinutes: 15 });
    await a.transition(apr.id, 'requested', 'approved', 'U2');
    await a.appendAudit({ actor: 'U2', action: 'restart.approved', target: 'command true', incidentId: inc.id, result: 'ok' });
    await a.putDumpBaseline({ service: 'billing-api', at: new Date().toISOString(), summary: { goroutines: 10 } });
    await a.claim('k1', 600);

    const b = await MemoryStore.open(file);
    expect(await b.getIncident(inc.id)).toMatchObject({ thread: { channel: 'C0123ABCD', ts: '1.000100' }, alarmCount: 1 });
    expect((await b.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).outcome).toBe('joined');
    expect((await b.getApproval(apr.id))!.state).toBe('approved');
    expect(await b.listAudit(inc.id)).toHaveLength(1);
    expect((await b.getDumpBaseline('billing-api'))!.summary).toEqual({ goroutines: 10 });
    expect(await b.claim('k1', 600)).toBe(false);
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(1);
  });

  it('refuses a file that is not a store', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ version: 1, incidents: 'nope' }));
    await expect(MemoryStore.open(file)).rejects.toThrow(/not a Leakhound store file/);
  });
});
