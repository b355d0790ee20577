import { describe, expect, it } from 'vitest';
import { InProcessJobQueue, type JobInput, type JobQueue, type Reading, type VerifyJob } from '../../lib/jobs/index.ts';
import { evaluateVerification, runVerificationCheck, scheduleVerification } from '../../lib/remediation/index.ts';

const before: Reading = { connections: 98, idleInTransaction: 40, elb504: 150 };
const at = (min: number) => new Date(Date.parse('2025-05-01T12:00:00Z') + min * 60_000).toISOString();

describe('evaluateVerification', () => {
  it('passes when connections, idle transactions and 504s come down', () => {
    const v = evaluateVerification(before, { connections: 22, idleInTransaction: 0, elb504: 0 });
    expect(v.verdict).toBe('pass');
    expect(v.reasons).toEqual(['connections: 98 → 22 (↓76)', 'idle in transaction: 40 → 0 (↓40)', 'ELB 504s: 150 → 0 (↓150)']);
    expect(v.comparisons.every((c) => c.ok)).toBe(true);
  });

  it('fails when connections stay up, naming what did not recover', () => {
    const v = evaluateVerification(before, { connections: 90, idleInTransaction: 0, elb504: 0 });
    expect(v.verdict).toBe('fail');
    expect(v.reasons[0]).toBe('connections: 98 → 90 (↓8), not recovered');
  });

  it('fails when idle-in-transaction sessions remain or 504s continue', () => {
    expect(evaluateVerification(before, { connections: 20, idleInTransaction: 15, elb504: 0 }).verdict).toBe('fail');
    expect(evaluateVerification(before, { connections: 20, idleInTransaction: 0, elb504: 60 }).verdict).toBe('fail');
  });

  it('says "regressed later" when the leak returns within the watch window', () => {
    const v = evaluateVerification(before, { connections: 20, idleInTransaction: 0, elb504: 0 }, [
      { connections: 30, idleInTransaction: 2, elb504: 0, at: at(5) },
      { connections: 81, idleInTransaction: 25, elb504: 3, at: at(10) },
      { connections: 98, idleInTransaction: 40, elb504: 100, at: at(15) },
    ]);
    expect(v.verdict).toBe('regressed-later');
    expect(v.regressedAt).toBe(at(10));
    expect(v.reasons.at(-1)).toBe(`leak back at ${at(10)}: connections 81 (was 98 before the remedy), idle in transaction 25 (was 40)`);
  });

  it('stays "pass" while later readings stay low', () => {
    const v = evaluateVerification(before, { connections: 20, idleInTransaction: 0, elb504: 0 }, [
      { connections: 35, idleInTransaction: 1, elb504: 0, at: at(5) },
      { connections: 40, idleInTransaction: 3, elb504: 0, at: at(10) },
    ]);
    expect(v.verdict).toBe('pass');
  });

  it('compares only what was read on both sides; nothing comparable is inconclusive', () => {
    const partial = evaluateVerification({ connections: 98, idleInTransaction: null, elb504: null }, { connections: 20, idleInTransaction: 0, elb504: null });
    expect(partial.verdict).toBe('pass');
    expect(partial.reasons).toEqual(['connections: 98 → 20 (↓78)', 'idle in transaction: 0 now (no reading before)', 'ELB 504s: not read']);
    expect(evaluateVerification(null, { connections: 20, idleInTransaction: 0, elb504: 0 }).verdict).toBe('inconclusive');
  });

  it('treats a small pool fairly: any non-increase counts', () => {
    expect(evaluateVerification({ connections: 4, idleInTransaction: 2, elb504: 0 }, { connections: 4, idleInTransaction: 0, elb504: 0 }).verdict).toBe('pass');
  });

  it('takes custom thresholds', () => {
    expect(evaluateVerification(before, { connections: 80, idleInTransaction: 0, elb504: 0 }, [], { minConnectionDrop: 0.1 }).verdict).toBe('pass');
  });
});

class RecordingQueue implements JobQueue {
  readonly sent: Array<{ job: JobInput; delaySeconds: number | undefined }> = [];
  async enqueue(job: JobInput, options: { delaySeconds?: number } = {}) {
    this.sent.push({ job, delaySeconds: options.delaySeconds });
    return { id: `job-${this.sent.length}` };
  }
}

describe('verification scheduling', () => {
  const T0 = Date.parse('2025-05-01T12:00:00Z');

  it('schedules the first check after the delay with the plan', async () => {
    const q = new RecordingQueue();
    await scheduleVerification(q, { service: 'billing-api', incidentId: 'i', approvalId: 'a', action: 'restart' }, { before, delaySeconds: 90, watchSeconds: 1200, intervalSeconds: 300 }, T0);
    expect(q.sent).toEqual([
      {
        delaySeconds: 90,
        job: {
          type: 'verify', service: 'billing-api', incidentId: 'i', approvalId: 'a', action: 'restart', before, history: [],
          startedAt: new Date(T0).toISOString(), watchUntil: new Date(T0 + 1_200_000).toISOString(), intervalSeconds: 300,
        },
      },
    ]);
  });

  it('checks, re-schedules while passing, stops at the end of the window', async () => {
    const readings: Reading[] = [
      { connections: 20, idleInTransaction: 0, elb504: 0 },
      { connections: 25, idleInTransaction: 0, elb504: 0 },
      { connections: 26, idleInTransaction: 0, elb504: 0 },
    ];
    let clock = T0 + 120_000;
    const results: Array<{ verdict: string; final: boolean; first: boolean }> = [];
    const q: InProcessJobQueue = new InProcessJobQueue(
      async (job) => {
        if (job.type !== 'verify') return;
        const check = await runVerificationCheck({ job, read: async () => readings.shift()!, queue: q, now: () => clock });
        results.push({ verdict: check.verdict.verdict, final: check.final, first: check.first });
        clock += job.intervalSeconds * 1000;
      },
      { delayScale: 0 },
    );
    await scheduleVerification(q, { service: 'billing-api', incidentId: null, approvalId: null, action: 'terminate' }, { before, delaySeconds: 120, watchSeconds: 900, intervalSeconds: 300 }, T0);
    await q.drain();
    expect(results).toEqual([
      { verdict: 'pass', final: false, first: true },
      { verdict: 'pass', final: false, first: false },
      { verdict: 'pass', final: true, first: false },
    ]);
  });

  it('stops early on a regression, and survives a failed read', async () => {
    const q = new RecordingQueue();
    const job: VerifyJob = {
      type: 'verify', service: 's', incidentId: null, approvalId: null, action: 'restart', before,
      history: [{ connections: 20, idleInTransaction: 0, elb504: 0, at: at(2) }],
      startedAt: at(0), watchUntil: at(60), intervalSeconds: 300,
    };
    const failedRead = await runVerificationCheck({ job, read: async () => Promise.reject(new Error('RDS unreachable')), queue: q, now: () => Date.parse(at(7)) });
    expect(failedRead).toMatchObject({ final: false, readError: 'RDS unreachable', verdict: { verdict: 'pass' }, nextJobId: 'job-1' });
    const regressed = await runVerificationCheck({ job, read: async () => ({ connections: 97, idleInTransaction: 39, elb504: 10 }), queue: q, now: () => Date.parse(at(7)) });
    expect(regressed).toMatchObject({ final: true, nextJobId: null, verdict: { verdict: 'regressed-later', regressedAt: at(7) } });
    expect(q.sent).toHaveLength(1);
  });

  it('uses the first useful reading as "after" when the first read failed', async () => {
    const job: VerifyJob = {
      type: 'verify', service: 's', incidentId: null, approvalId: null, action: 'restart', before,
      history: [{ connections: null, idleInTransaction: null, elb504: null, at: at(2) }],
      startedAt: at(0), watchUntil: at(60), intervalSeconds: 300,
    };
    const check = await runVerificationCheck({ job, read: async () => ({ connections: 20, idleInTransaction: 0, elb504: 0 }), queue: new RecordingQueue(), now: () => Date.parse(at(7)) });
    expect(check.verdict.verdict).toBe('pass');
  });
});
