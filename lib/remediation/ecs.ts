// Restart an ECS service: UpdateService with forceNewDeployment (same task definition, fresh
// tasks), then follow DescribeServices until the PRIMARY deployment is COMPLETED (or, without
// rollout states, runs desiredCount tasks with nothing old left), FAILED, or the deadline.
//
// IAM needed: ecs:UpdateService and ecs:DescribeServices on the service.
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Deployment } from '@aws-sdk/client-ecs';
import type { RestartTarget } from '../catalog/index.ts';
import {
  deadlineMs,
  pause,
  wrongTarget,
  type Executor,
  type RestartOptions,
  type RestartOutcome,
  type RestartResult,
  type RolloutStatus,
} from './executor.ts';
import { describeRestartTarget } from '../catalog/index.ts';

export interface EcsExecutorOptions {
  /** The client for a target's region (null = the SDK default). Default: one ECSClient per region. */
  clientFor?: (region: string | null) => ECSClient;
  /** Region of targets that name none (the catalog's `defaults.region`); null = the SDK default. */
  region?: string | null;
  /** Between DescribeServices calls. Default 5 s. */
  pollIntervalMs?: number;
  /** Per API call, retries included. Default 10 s (never beyond the deadline). */
  requestTimeoutMs?: number;
}

export class EcsExecutor implements Executor {
  private readonly clientFor: (region: string | null) => ECSClient;
  private readonly region: string | null;
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;

  constructor(options: EcsExecutorOptions = {}) {
    const clients = new Map<string, ECSClient>();
    this.clientFor =
      options.clientFor ??
      ((region) => {
        const key = region ?? '';
        let c = clients.get(key);
        if (!c) clients.set(key, (c = new ECSClient(region ? { region } : {})));
        return c;
      });
    this.region = options.region ?? null;
    this.pollMs = options.pollIntervalMs ?? 5_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  async restart(target: RestartTarget, options: RestartOptions): Promise<RestartResult> {
    if (target.type !== 'ecs') wrongTarget('ecs', target);
    const deadline = deadlineMs(options.deadline);
    const startedAt = new Date().toISOString();
    const what = describeRestartTarget(target);
    const client = this.clientFor(target.region ?? this.region);
    const signal = () => ({ abortSignal: AbortSignal.timeout(Math.max(1, Math.min(this.requestTimeoutMs, deadline - Date.now()))) });
    let issued = false;
    let rollout: RolloutStatus | null = null;
    const finish = (outcome: RestartOutcome, message: string): RestartResult => ({
      outcome, target: what, message, issued, startedAt, finishedAt: new Date().toISOString(), rollout, output: null,
    });
    const progress = (message: string) => options.onProgress?.({ at: new Date().toISOString(), message, rollout });

    let ours: string | undefined;
    try {
      const out = await client.send(new UpdateServiceCommand({ cluster: target.cluster, service: target.service, forceNewDeployment: true }), signal());
      ours = out.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
    } catch (err) {
      return finish(...awsFailure(err, 'update', what));
    }
    issued = true;
    progress(`new deployment started${ours ? ` (${ours})` : ''}; following it`);

    let lastMessage = '';
    let lastError: string | null = null;
    while (Date.now() < deadline) {
      await pause(this.pollMs, deadline);
      if (Date.now() >= deadline) break;
      let deployments: Deployment[];
      try {
        const out = await client.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }), signal());
        const failure = out.failures?.[0];
        if (failure) return finish('not-found', `restart issued, but ${what} could not be described: ${failure.reason ?? 'unknown'}${failure.detail ? ` (${failure.detail})` : ''}`);
        deployments = out.services?.[0]?.deployments ?? [];
      } catch (err) {
        const [outcome, message] = awsFailure(err, 'describe', what);
        if (outcome === 'forbidden' || outcome === 'not-found') return finish(outcome, `restart issued, but ${message}`);
        lastError = message;
        continue;
      }
      const primary = deployments.find((d) => d.status === 'PRIMARY');
      if (!primary) {
        lastError = 'no PRIMARY deployment';
        continue;
      }
      const others = deployments.filter((d) => d !== primary);
      const desired = primary.desiredCount ?? 0;
      const running = primary.runningCount ?? 0;
      const old = others.reduce((n, d) => n + (d.runningCount ?? 0), 0);
      rollout = { desired, updated: running, ready: running, available: running, old };
      // Someone deployed on top of us: follow theirs, and say so.
      const note = ours && primary.id !== ours ? ` (a newer deployment ${primary.id} replaced ours)` : '';
      if (primary.rolloutState === 'FAILED') return finish('failed', `${what}: deployment failed: ${primary.rolloutStateReason ?? 'no reason given'}${note}`);
      const done = primary.rolloutState === 'COMPLETED' || (primary.rolloutState === undefined && running === desired && old === 0);
      if (done) return finish('completed', `${what} restarted: ${running}/${desired} tasks running${note}`);
      const message = `${running}/${desired} new tasks running${old ? `, ${old} old still running` : ''}${note}`;
      if (message !== lastMessage) progress((lastMessage = message));
    }
    return finish('timed-out', `${what}: restart issued, deployment not finished by the deadline (${lastMessage || lastError || 'no status read'})`);
  }
}

function awsFailure(err: unknown, verb: 'update' | 'describe', what: string): [RestartOutcome, string] {
  const e = err as { name?: string; message?: string };
  const msg = e?.message ?? String(err);
  switch (e?.name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnauthorizedOperation':
      return ['forbidden', `forbidden to ${verb} ${what}: grant ecs:UpdateService and ecs:DescribeServices (${msg})`];
    case 'ServiceNotFoundException':
    case 'ServiceNotActiveException':
    case 'ClusterNotFoundException':
      return ['not-found', `${what} not found (${e.name}: ${msg})`];
    case 'AbortError':
    case 'TimeoutError':
      return ['failed', `could not ${verb} ${what}: request timed out`];
    default:
      return ['failed', `could not ${verb} ${what}: ${e?.name ? `${e.name}: ` : ''}${msg}`];
  }
}
