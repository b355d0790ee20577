// ECS through aws-sdk-client-mock (no local ECS exists): ListTasks + DescribeTasks give the tasks'
// private IPs, which are real local replica servers on 127.0.0.1 and 127.0.0.2.
import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DumpLimits, DumpSource } from '../../lib/catalog/index.ts';
import { collectDumps } from '../../lib/dumps/index.ts';
import { taskPrivateIp } from '../../lib/dumps/ecs.ts';
import { replicaRoutes, serviceWith, startServer, type TestServer } from '../support/dump-targets.ts';

const limits: DumpLimits = { concurrency: 4, timeoutSeconds: 2, maxBytes: 1 << 20 };
const soon = (): number => Date.now() + 5000;
const ecsMock = mockClient(ECSClient);
const client = new ECSClient({ region: 'eu-west-1' });
const ARN = (id: string): string => `arn:aws:ecs:eu-west-1:123456789012:task/prod/${id}`;

let one: TestServer;
let two: TestServer;
beforeAll(async () => {
  // Same port on two loopback addresses: two tasks of one service, as ECS would place them.
  one = await startServer({ debug: replicaRoutes.fast! }, '127.0.0.1');
  two = await startServer({ debug: replicaRoutes.fast! }, '127.0.0.2', one.port);
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
  ecsMock.restore();
});
beforeEach(() => ecsMock.reset());

function task(id: string, ip: string | null, lastStatus = 'RUNNING'): Task {
  return {
    taskArn: ARN(id),
    lastStatus,
    attachments: ip
      ? [{ type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'subnetId', value: 'subnet-1' }, { name: 'privateIPv4Address', value: ip }] }]
      : [],
  };
}

const source = (): DumpSource => ({ type: 'ecs', cluster: 'prod', service: 'billing-api', port: 0, scheme: 'http', path: '/debug/pprof/goroutine', region: null });
const withPort = (): DumpSource => ({ ...(source() as Extract<DumpSource, { type: 'ecs' }>), port: one.port });

describe('ECS dump source', () => {
  it('lists running tasks, reads each private IP, and names tasks that cannot be read', async () => {
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: [ARN('aaa111'), ARN('bbb222')], nextToken: 'page-2' })
      .resolvesOnce({ taskArns: [ARN('ccc333'), ARN('ddd444'), ARN('eee555'), ARN('fff666')] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [task('aaa111', '127.0.0.1'), task('bbb222', '127.0.0.2'), task('ccc333', '127.0.0.3'), task('ddd444', '10.0.0.4', 'PROVISIONING'), task('eee555', null)],
      failures: [{ arn: ARN('fff666'), reason: 'MISSING' }],
    });
    const result = await collectDumps(serviceWith([withPort()]), limits, { deadline: soon(), clients: { ecs: client } });

    const lists = ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([
      { cluster: 'prod', serviceName: 'billing-api', desiredStatus: 'RUNNING', maxResults: 100 },
      { cluster: 'prod', serviceName: 'billing-api', desiredStatus: 'RUNNING', maxResults: 100, nextToken: 'page-2' },
    ]);
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'prod', tasks: ['aaa111', 'bbb222', 'ccc333', 'ddd444', 'eee555', 'fff666'].map(ARN) },
    ]);

    expect(result.replicas.map((r) => [r.replica, r.address, r.source, r.dump?.format ?? null, r.gap?.reason ?? null])).toEqual([
      ['aaa111', '127.0.0.1', 'ecs', 'debug1', null],
      ['bbb222', '127.0.0.2', 'ecs', 'debug1', null],
      ['ccc333', '127.0.0.3', 'ecs', null, 'connection refused'],
    ]);
    // The goroutine profile, then the leak profile (absent here: no gap for it), and beside them
    // the pool metrics page on the same port (absent too).
    const paths = ['/debug/pprof/goroutine?debug=1', '/debug/pprof/goroutineleak?debug=1', '/metrics'].sort();
    expect(one.requests.map((r) => r.url).sort()).toEqual(paths);
    expect(two.requests.map((r) => r.url).sort()).toEqual(paths);
    expect(result.gaps).toEqual([
      { source: 'ecs', target: 'task fff666', reason: 'DescribeTasks: MISSING' },
      { source: 'ecs', target: 'task ddd444', reason: 'task is PROVISIONING, not RUNNING' },
      { source: 'ecs', target: 'task eee555', reason: 'task has no private IPv4 address (only the awsvpc network mode is supported)' },
      { source: 'ecs', target: `task ccc333 (http://127.0.0.3:${one.port}/debug/pprof/goroutine)`, reason: 'connection refused' },
    ]);
  });

  it('names access denied, a missing cluster and an empty service', async () => {
    const denied = Object.assign(new Error('User: arn:aws:sts::123:assumed-role/leakhound is not authorized to perform: ecs:ListTasks'), {
      name: 'AccessDeniedException',
    });
    ecsMock.on(ListTasksCommand).rejects(denied);
    let result = await collectDumps(serviceWith([withPort()]), limits, { deadline: soon(), clients: { ecs: client } });
    expect(result.gaps).toHaveLength(1);
    expect(result.gaps[0]).toMatchObject({ source: 'ecs', target: 'service prod/billing-api' });
    expect(result.gaps[0]?.reason).toMatch(/^ECS ListTasks: access denied — grant ecs:ListTasks and ecs:DescribeTasks to the bot's role/);

    ecsMock.reset();
    ecsMock.on(ListTasksCommand).rejects(Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' }));
    result = await collectDumps(serviceWith([{ ...withPort(), region: 'eu-west-1' } as DumpSource]), limits, { deadline: soon(), clients: { ecs: () => client } });
    expect(result.gaps.map((g) => g.reason)).toEqual(['ECS cluster "prod" not found in eu-west-1']);

    ecsMock.reset();
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    result = await collectDumps(serviceWith([withPort()]), limits, { deadline: soon(), clients: { ecs: client } });
    expect(result.gaps.map((g) => g.reason)).toEqual(['no running tasks in service "billing-api" of cluster "prod"']);
  });

  it('gives up listing at the per-target timeout when ECS does not answer', async () => {
    ecsMock.on(ListTasksCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const result = await collectDumps(serviceWith([source()]), { ...limits, timeoutSeconds: 0.5 }, { deadline: soon(), clients: { ecs: client } });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.gaps).toEqual([{ source: 'ecs', target: 'service prod/billing-api', reason: 'listing tasks timed out after 0.5 s' }]);
  });

  it('passes the source region to a client factory', async () => {
    const regions: Array<string | null> = [];
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    await collectDumps(serviceWith([{ ...withPort(), region: 'us-east-2' } as DumpSource, withPort()]), limits, {
      deadline: soon(),
      region: 'eu-central-1',
      clients: { ecs: (region) => (regions.push(region), client) },
    });
    expect(regions).toEqual(['us-east-2', 'eu-central-1']);
  });

  it('finds the IP on the container network interface when the attachment lacks it', () => {
    expect(taskPrivateIp({ containers: [{ networkInterfaces: [{ privateIpv4Address: '10.1.2.3' }] }] })).toBe('10.1.2.3');
    expect(taskPrivateIp({})).toBeNull();
  });
});
