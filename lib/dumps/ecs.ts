// ECS: the running tasks of a service, their private IPs from the awsvpc network interface, then
// a plain GET to each task's pprof port.
import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import type { DumpDebugLevel, DumpSource } from '../catalog/index.ts';
import { describeError } from '../errors/index.ts';
import { goroutineUrl, urlTarget } from './http-source.ts';
import type { Gap } from './model.ts';
import { untilAborted } from './stream.ts';
import type { Discovery, Target } from './target.ts';
import type { FetchLike } from './transport.ts';

type EcsSource = Extract<DumpSource, { type: 'ecs' }>;

/** Anything with the client's `send`; tests pass a client mocked with aws-sdk-client-mock. */
export type EcsLike = Pick<ECSClient, 'send'>;
/** A client, or a factory called with the source's region (null = the SDK's default). */
export type EcsClientOption = EcsLike | ((region: string | null) => EcsLike);

const MAX_LIST_PAGES = 5; // 500 tasks
const DESCRIBE_BATCH = 100; // DescribeTasks takes at most 100 tasks per call

export function createEcsClient(region: string | null, timeoutMs: number): ECSClient {
  return new ECSClient({
    ...(region ? { region } : {}),
    // Triage runs under a deadline of seconds: one retry at most, short connect.
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 1000) },
  });
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException']);

function describeAwsError(call: string, err: unknown, source: EcsSource): string {
  const name = err instanceof Error ? err.name : '';
  if (ACCESS_DENIED.has(name)) return `ECS ${call}: access denied — grant ecs:ListTasks and ecs:DescribeTasks to the bot's role (${describeError(err)})`;
  if (name === 'ClusterNotFoundException') return `ECS cluster "${source.cluster}" not found${source.region ? ` in ${source.region}` : ''}`;
  if (name === 'ServiceNotFoundException') return `ECS service "${source.service}" not found in cluster "${source.cluster}"`;
  if (name === 'CredentialsProviderError') return `no AWS credentials for ECS ${call}`;
  return `ECS ${call} failed: ${describeError(err)}`;
}

/** The task's private IPv4: the ENI attachment of awsvpc mode (Fargate and EC2 alike). */
export function taskPrivateIp(task: Task): string | null {
  for (const a of task.attachments ?? []) {
    if (a.type !== 'ElasticNetworkInterface') continue;
    const ip = a.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  for (const c of task.containers ?? []) {
    const ip = c.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return null;
}

function taskId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export interface EcsContext {
  debug: DumpDebugLevel;
  client: EcsLike;
  /** Null: node:http. */
  fetch: FetchLike | null;
  signal: AbortSignal;
}

export async function discoverEcs(source: EcsSource, ctx: EcsContext): Promise<Discovery> {
  const where = `service ${source.cluster}/${source.service}`;
  const fail = (reason: string): Discovery => ({ targets: [], gaps: [{ source: 'ecs', target: where, reason }] });
  const send = <T>(call: Promise<T>): Promise<T> => untilAborted(call, ctx.signal);

  const arns: string[] = [];
  let nextToken: string | undefined;
  let truncated = false;
  try {
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const out = await send(
        ctx.client.send(
          new ListTasksCommand({ cluster: source.cluster, serviceName: source.service, desiredStatus: 'RUNNING', maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
          { abortSignal: ctx.signal },
        ),
      );
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
      if (!nextToken) break;
      if (page === MAX_LIST_PAGES - 1) truncated = true;
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return fail(describeAwsError('ListTasks', err, source));
  }
  if (arns.length === 0) return fail(`no running tasks in service "${source.service}" of cluster "${source.cluster}"`);

  const gaps: Gap[] = [];
  if (truncated) gaps.push({ source: 'ecs', target: where, reason: `more than ${arns.length} running tasks; read the first ${arns.length}` });
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    const batch = arns.slice(i, i + DESCRIBE_BATCH);
    try {
      const out = await send(ctx.client.send(new DescribeTasksCommand({ cluster: source.cluster, tasks: batch }), { abortSignal: ctx.signal }));
      tasks.push(...(out.tasks ?? []));
      for (const f of out.failures ?? []) {
        gaps.push({ source: 'ecs', target: `task ${taskId(f.arn ?? '?')}`, reason: `DescribeTasks: ${f.reason ?? 'failed'}${f.detail ? ` (${f.detail})` : ''}` });
      }
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      gaps.push({ source: 'ecs', target: where, reason: `${describeAwsError('DescribeTasks', err, source)} (${batch.length} tasks not read)` });
    }
  }

  const targets: Target[] = [];
  for (const task of tasks) {
    const id = taskId(task.taskArn ?? '?');
    const status = task.lastStatus ?? 'UNKNOWN';
    if (status !== 'RUNNING') {
      gaps.push({ source: 'ecs', target: `task ${id}`, reason: `task is ${status}, not RUNNING` });
      continue;
    }
    const ip = taskPrivateIp(task);
    if (!ip) {
      gaps.push({ source: 'ecs', target: `task ${id}`, reason: 'task has no private IPv4 address (only the awsvpc network mode is supported)' });
      continue;
    }
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const url = goroutineUrl(`${source.scheme}://${host}:${source.port}${source.path}`, ctx.debug);
    targets.push(urlTarget('ecs', url, id, ip, ctx.fetch, `task ${id} (${url.origin}${url.pathname})`, source.metrics));
  }
  return { targets, gaps };
}
