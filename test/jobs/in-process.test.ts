import { describe, expect, it } from 'vitest';
import { InProcessJobQueue, type Job, type JobInput } from '../../lib/jobs/index.ts';

const triage: JobInput = { type: 'triage', service: 'billing-api', incidentId: null, trigger: 'command', requestedBy: 'U1' };

describe('InProcessJobQueue', () => {
  it('runs jobs with defaults applied, and drain waits for jobs that enqueue jobs', async () => {
    const ran: Job[] = [];
    const q: InProcessJobQueue = new InProcessJobQueue(async (job) => {
      ran.push(job);
      if (job.type === 'triage') await q.enqueue({ type: 'restart', approvalId: 'a', incidentId: null, service: 'billing-api' });
    });
    await q.enqueue(triage);
    await q.drain();
    expect(ran.map((j) => j.type)).toEqual(['triage', 'restart']);
    expect(ran[0]).toMatchObject({ scope: 'full', respondTo: null });
    expect(q.size).toBe(0);
  });

  it('honours delays with timers (scaled)', async () => {
    const order: string[] = [];
    const q = new InProcessJobQueue(async (job) => void order.push(job.type === 'triage' ? job.scope : job.type), { delayScale: 0.01 });
    const t0 = Date.now();
    await q.enqueue({ ...triage, scope: 'dump' }, { delaySeconds: 10 }); // 100 ms
    await q.enqueue({ ...triage, scope: 'sessions' });
    await q.drain();
    expect(order).toEqual(['sessions', 'dump']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('settled waits for running jobs, the jobs they enqueue and retries, but not for delayed ones', async () => {
    const ran: string[] = [];
    let failed = false;
    const q: InProcessJobQueue = new InProcessJobQueue(async (job) => {
      ran.push(job.type);
      if (job.type === 'triage' && !failed) {
        failed = true;
        throw new Error('transient');
      }
      if (job.type === 'triage') await q.enqueue({ type: 'restart', approvalId: 'a', incidentId: null, service: 'billing-api' });
      if (job.type === 'restart') await q.enqueue({ type: 'terminate', approvalId: 'a', incidentId: null, service: 'billing-api' }, { delaySeconds: 3600 });
    });
    await q.enqueue(triage);
    await q.settled();
    expect(ran).toEqual(['triage', 'triage', 'restart']);
    expect(q.size).toBe(1);
    expect(q.waiting).toBe(1);
    q.close();
    expect(q.size).toBe(0);
    await q.drain();
  });

  it('retries a failing job, then dead-letters it', async () => {
    const attempts: number[] = [];
    const errors: number[] = [];
    const q = new InProcessJobQueue(
      async (_job, meta) => {
        attempts.push(meta.attempt);
        throw new Error('nope');
      },
      { maxAttempts: 3, onError: (_e, _err, attempt) => errors.push(attempt) },
    );
    const { id } = await q.enqueue(triage);
    await q.drain();
    expect(attempts).toEqual([1, 2, 3]);
    expect(errors).toEqual([1, 2, 3]);
    expect(q.deadLetters).toHaveLength(1);
    expect(q.deadLetters[0]).toMatchObject({ error: 'nope', attempts: 3, envelope: { id } });
  });

  it('succeeds on a retry without dead-lettering', async () => {
    let n = 0;
    const q = new InProcessJobQueue(async () => {
      if (++n === 1) throw new Error('transient');
    });
    await q.enqueue(triage);
    await q.drain();
    expect(n).toBe(2);
    expect(q.deadLetters).toEqual([]);
  });

  it('validates jobs on enqueue', async () => {
    const q = new InProcessJobQueue(async () => undefined);
    await expect(q.enqueue({ type: 'triage', service: 'x', incidentId: null, trigger: 'nope', requestedBy: null } as unknown as JobInput)).rejects.toThrow();
  });

  it('close drops scheduled jobs and resolves drain', async () => {
    let ran = 0;
    const q = new InProcessJobQueue(async () => void ran++);
    await q.enqueue(triage, { delaySeconds: 3600 });
    const drained = q.drain();
    q.close();
    await drained;
    expect(ran).toBe(0);
    await expect(q.enqueue(triage)).rejects.toThrow(/closed/);
  });

  it('dead-letters when no handler is set', async () => {
    const q = new InProcessJobQueue(null, { maxAttempts: 1 });
    await q.enqueue(triage);
    await q.drain();
    expect(q.deadLetters[0]!.error).toMatch(/no handler/);
  });
});
