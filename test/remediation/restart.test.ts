// runRestart: approval gate, evidence before the restart, exactly one restart per approval,
// audit trail, delayed verification. Store and queue are the local implementations.
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RestartTarget } from '../../lib/catalog/model.ts';
import type { JobInput, JobQueue } from '../../lib/jobs/index.ts';
import { CommandExecutor, DirectoryEvidenceStore, runRestart, type Executor, type RestartResult, type RunRestartInput } from '../../lib/remediation/index.ts';
import { MemoryStore, type Approval } from '../../lib/store/index.ts';

class RecordingQueue implements JobQueue {
  readonly sent: Array<{ job: JobInput; delaySeconds: number | undefined }> = [];
  async enqueue(job: JobInput, options: { delaySeconds?: number } = {}) {
    this.sent.push({ job, delaySeconds: options.delaySeconds });
    return { id: `job-${this.sent.length}` };
  }
}

const INCIDENT = 'billing-api:db-connections-high:20250501-120000-abcdef';
const k8s: RestartTarget = { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' };

function fakeExecutor(outcome: RestartResult['outcome'] = 'completed', check?: () => Promise<void>): Executor & { calls: number } {
  const ex = {
    calls: 0,
    async restart(target: RestartTarget): Promise<RestartResult> {
      ex.calls++;
      await check?.();
      const at = new Date().toISOString();
      return { outcome, target: `deployment ${target.type}`, message: outcome === 'completed' ? 'rolled out: 3/3' : 'forbidden to patch', issued: outcome === 'completed', startedAt: at, finishedAt: at, rollout: null, output: null };
    },
  };
  return ex;
}

let dir: string;
let store: MemoryStore;
let queue: RecordingQueue;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leakhound-restart-'));
  store = new MemoryStore();
  queue = new RecordingQueue();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function approved(target: RestartTarget = k8s): Promise<Approval> {
  const a = await store.createApproval({ incidentId: INCIDENT, service: 'billing-api', subject: { action: 'restart', target }, requestedBy: 'U_REQ', ttlMinutes: 15 });
  const t = await store.transition(a.id, 'requested', 'approved', 'U_APP');
  if (!t.ok) throw new Error('could not approve');
  return t.approval;
}

const input = (approvalId: string, over: Partial<RunRestartInput> = {}): RunRestartInput => ({
  store,
  queue,
  executors: { kubernetes: fakeExecutor() },
  evidence: new DirectoryEvidenceStore(dir),
  approvalId,
  collectEvidence: async () => [
    { name: 'goroutines-debug1.txt', body: 'goroutine profile: total 12\n' },
    { name: 'report.json', body: '{"verdict":"leak"}' },
  ],
  deadline: Date.now() + 10_000,
  verification: { before: { connections: 98, idleInTransaction: 40, elb504: 120 }, delaySeconds: 120, watchSeconds: 1800, intervalSeconds: 300 },
  ...over,
});

describe('runRestart', () => {
  it('saves the evidence before restarting, records done, audits, and schedules verification', async () => {
    const a = await approved();
    const executor = fakeExecutor('completed', async () => {
      // At the moment of the restart, the evidence is already on disk.
      await access(join(dir, INCIDENT, 'goroutines-debug1.txt'));
      await access(join(dir, INCIDENT, 'report.json'));
    });
    const out = await runRestart(input(a.id, { executors: { kubernetes: executor } }));

    expect(out.status).toBe('done');
    if (out.status !== 'done') return;
    expect(executor.calls).toBe(1);
    expect(out.approval.state).toBe('done');
    expect(out.approval.history.map((h) => `${h.from}>${h.to}:${h.actor}`)).toEqual(['requested>approved:U_APP', 'approved>executing:leakhound', 'executing>done:leakhound']);
    expect(out.evidence.links.map((l) => l.name)).toEqual(['goroutines-debug1.txt', 'report.json']);
    expect(out.evidence.problems).toEqual([]);
    expect(await readFile(join(dir, INCIDENT, 'report.json'), 'utf8')).toBe('{"verdict":"leak"}');

    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]).toMatchObject({ delaySeconds: 120, job: { type: 'verify', service: 'billing-api', incidentId: INCIDENT, approvalId: a.id, action: 'restart', before: { connections: 98 }, intervalSeconds: 300 } });
    expect(out.verifyJobId).toBe('job-1');

    const audit = await store.listAudit(INCIDENT);
    expect(audit.map((e) => `${e.actor} ${e.action} ${e.target}: ${e.result}`)).toEqual([
      'leakhound restart.started deployment prod/billing-api: ok',
      'leakhound evidence.saved deployment prod/billing-api: 2 saved',
      'leakhound restart.completed deployment prod/billing-api: completed: rolled out: 3/3',
    ]);
  });

  it('does nothing unless the approval is approved', async () => {
    const a = await store.createApproval({ incidentId: INCIDENT, service: 'billing-api', subject: { action: 'restart', target: k8s }, requestedBy: 'U_REQ', ttlMinutes: 15 });
    const executor = fakeExecutor();
    const collect = vi.fn(async () => []);
    expect(await runRestart(input(a.id, { executors: { kubernetes: executor }, collectEvidence: collect }))).toMatchObject({ status: 'skipped', reason: 'not-approved', state: 'requested' });
    expect(await runRestart(input('missing'))).toMatchObject({ status: 'skipped', reason: 'not-found', state: null });
    expect(executor.calls).toBe(0);
    expect(collect).not.toHaveBeenCalled();
    expect(queue.sent).toEqual([]);
  });

  it('a retried or duplicated job restarts once: 10 concurrent runs, one restart', async () => {
    const a = await approved();
    const executor = fakeExecutor();
    const runs = await Promise.all(Array.from({ length: 10 }, () => runRestart(input(a.id, { executors: { kubernetes: executor } }))));
    expect(executor.calls).toBe(1);
    expect(runs.filter((r) => r.status === 'done')).toHaveLength(1);
    for (const r of runs.filter((x) => x.status === 'skipped')) expect(['already-claimed', 'not-approved']).toContain(r.status === 'skipped' && r.reason);
    // And later, a redelivery finds it done.
    expect(await runRestart(input(a.id, { executors: { kubernetes: executor } }))).toMatchObject({ status: 'skipped', reason: 'not-approved', state: 'done' });
  });

  it('records a failed restart as failed (no verification when nothing was issued)', async () => {
    const a = await approved();
    const out = await runRestart(input(a.id, { executors: { kubernetes: fakeExecutor('forbidden') } }));
    expect(out).toMatchObject({ status: 'failed', approval: { state: 'failed' }, result: { outcome: 'forbidden' }, verifyJobId: null });
    expect((await store.listAudit(INCIDENT)).at(-1)).toMatchObject({ action: 'restart.failed', result: 'forbidden: forbidden to patch' });
    expect(queue.sent).toEqual([]);
  });

  it('an executor that throws leaves the approval failed, not stuck in executing', async () => {
    const a = await approved();
    const boom: Executor = { restart: async () => Promise.reject(new Error('kaboom')) };
    const out = await runRestart(input(a.id, { executors: { kubernetes: boom } }));
    expect(out).toMatchObject({ status: 'failed', approval: { state: 'failed' }, result: { outcome: 'failed', message: 'executor error: kaboom', issued: false } });
  });

  it('restarts even when evidence could not be gathered, and says what is missing', async () => {
    const a = await approved();
    const executor = fakeExecutor();
    const out = await runRestart(input(a.id, { executors: { kubernetes: executor }, collectEvidence: async () => Promise.reject(new Error('dump endpoint timed out')) }));
    expect(out.status).toBe('done');
    expect(executor.calls).toBe(1);
    expect(out.status === 'done' && out.evidence).toEqual({ links: [], problems: ['collect: dump endpoint timed out'] });
    expect((await store.listAudit(INCIDENT))[1]).toMatchObject({ action: 'evidence.saved', result: '0 saved; not saved: collect: dump endpoint timed out' });
  });

  it('bounds evidence collection by its timeout', async () => {
    const a = await approved();
    const t0 = Date.now();
    const out = await runRestart(input(a.id, { evidenceTimeoutMs: 100, collectEvidence: () => new Promise(() => undefined) }));
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(out.status === 'done' && out.evidence.problems).toEqual(['collect: evidence collection ran out of time']);
  });

  it('with requireEvidence, does not restart without evidence', async () => {
    const a = await approved();
    const executor = fakeExecutor();
    const out = await runRestart(input(a.id, { executors: { kubernetes: executor }, requireEvidence: true, collectEvidence: async () => [] }));
    expect(executor.calls).toBe(0);
    expect(out).toMatchObject({ status: 'failed', result: { issued: false, message: expect.stringMatching(/no evidence could be saved/) } });
  });

  it('fails clearly when no executor is configured for the platform', async () => {
    const a = await approved({ type: 'ecs', cluster: 'prod', service: 'billing-api', region: null });
    const out = await runRestart(input(a.id, { executors: { kubernetes: fakeExecutor() } }));
    expect(out).toMatchObject({ status: 'failed', approval: { state: 'failed' }, result: { message: 'no ecs executor is configured here; not restarted' } });
  });

  it('refuses a termination approval', async () => {
    const a = await store.createApproval({ incidentId: null, service: 's', subject: { action: 'terminate', database: 'db', sessions: [] }, requestedBy: 'U', ttlMinutes: 5 });
    await store.transition(a.id, 'requested', 'approved', 'U2');
    expect(await runRestart(input(a.id))).toMatchObject({ status: 'skipped', reason: 'not-a-restart' });
  });

  it('end to end with the command executor: a real process is restarted once', async () => {
    const service = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));
    const restart = fileURLToPath(new URL('./fixtures/restart.mjs', import.meta.url));
    const pidFile = join(dir, 'svc.pid');
    const child = spawn(process.execPath, [service, pidFile], { detached: true, stdio: 'ignore' });
    child.unref();
    const pids = [child.pid!];
    try {
      for (let i = 0; i < 250 && (await readFile(pidFile, 'utf8').catch(() => '')) !== String(child.pid); i++) await new Promise((r) => setTimeout(r, 20));
      const a = await approved({ type: 'command', argv: [process.execPath, restart, pidFile, service], timeoutSeconds: 15 });
      const out = await runRestart(input(a.id, { executors: { command: new CommandExecutor() } }));
      const now = Number(await readFile(pidFile, 'utf8'));
      pids.push(now);
      expect(out).toMatchObject({ status: 'done', result: { outcome: 'completed' } });
      expect(now).not.toBe(child.pid);
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});
