// serverless.yml and infra/ as data: the four functions and their routes, the queue with its
// DLQ and alarm, the table as lib/store expects it, the evidence bucket, and IAM per function
// with no wildcard resource except where AWS offers nothing narrower.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { storeTableDefinition, TTL_ATTRIBUTE } from '../../lib/store/index.ts';

// YAML documents are walked freely; the expectations check their shape.
type Obj = Record<string, any>;
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const sls = parse(read('serverless.yml')) as Obj;

/** Resolves the whole-value `${self:custom.x}` references the file uses for shared statements. */
function resolveSelf(value: unknown): unknown {
  if (typeof value === 'string') {
    const m = /^\$\{self:custom\.([A-Za-z0-9]+)\}$/.exec(value);
    return m ? resolveSelf(sls['custom'][m[1]!]) : value;
  }
  if (Array.isArray(value)) return value.map(resolveSelf);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSelf(v)]));
  return value;
}

const functions = sls['functions'] as Record<string, Obj>;
const resources = sls['resources']['Resources'] as Record<string, Obj>;

describe('serverless.yml', () => {
  it('declares the five functions (the watch on a schedule), on Node 24 arm64, each deployed from its own prebuilt bundle', () => {
    expect(Object.keys(functions).sort()).toEqual(['alarm', 'slack', 'watch', 'webhook', 'worker']);
    expect(Object.fromEntries(Object.entries(functions).map(([k, f]) => [k, f['handler']]))).toEqual({
      alarm: 'functions/alarm.handler',
      webhook: 'functions/webhook.handler',
      slack: 'functions/slack.handler',
      worker: 'functions/worker.handler',
      watch: 'functions/watch.handler',
    });
    expect(sls['provider']).toMatchObject({ name: 'aws', runtime: 'nodejs24.x', architecture: 'arm64' });
    // Powertools (lib/lambda): service name, log level, metrics namespace, secret cache age.
    expect(sls['provider']['environment']).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'leakhound',
      POWERTOOLS_LOG_LEVEL: '${param:logLevel}',
      POWERTOOLS_METRICS_NAMESPACE: '${param:metricsNamespace}',
      POWERTOOLS_PARAMETERS_MAX_AGE: '${param:secretsMaxAgeSeconds}',
    });
    expect(sls['params']['default']).toMatchObject({ logLevel: 'INFO', metricsNamespace: 'Leakhound', secretsMaxAgeSeconds: 300 });
    expect(sls['package']['individually']).toBe(true);
    // scripts/build-lambdas.mjs builds each function (minified, code-split ESM, everything
    // bundled; bench/bundles.bench.ts checks the bundles) before packaging, as a plugin.
    expect(sls['plugins']).toEqual(expect.arrayContaining(['./scripts/build-lambdas.mjs']));
    expect(sls['plugins']).not.toContain('serverless-esbuild');
    for (const [name, fn] of Object.entries(functions)) expect(fn['package'], name).toEqual({ artifact: `.build/${name}.zip` });
    // The catalog goes into every zip.
    expect(sls['package']['patterns']).toEqual(['${param:catalog}']);
  });

  it('builds minified ESM for Node 24 (the CLI stays on Node 20), code-split, with nothing left to resolve at run time', () => {
    const script = read('scripts/build-lambdas.mjs');
    for (const option of [/splitting: true/, /format: 'esm'/, /platform: 'node'/, /target: 'node24'/, /minify: true/, /bundle: true/]) expect(script).toMatch(option);
    expect(script).not.toMatch(/\bexternal:|packages: 'external'/);
    // The CLI is another matter: it runs on the user's Node, 20.6 or later.
    expect(read('scripts/build.mjs')).toMatch(/target: 'node20'/);
    expect((JSON.parse(read('package.json')) as Obj)['engines']['node']).toBe('>=20.6');
  });

  it('routes the HTTP API, the alarm topic and the EventBridge rule, and the queue', () => {
    const routes = Object.values(functions).flatMap((f) => (f['events'] ?? []).map((e: Obj) => e['httpApi']).filter(Boolean));
    expect(routes.sort()).toEqual(['GET /healthz', 'POST /slack/events', 'POST /webhooks/alertmanager', 'POST /webhooks/grafana', 'POST /webhooks/sns'].sort());
    const alarmEvents = functions['alarm']!['events'] as Obj[];
    expect(alarmEvents.find((e) => e['sns'])!['sns']['arn']).toEqual({ Ref: 'AlarmTopic' });
    const rule = alarmEvents.find((e) => e['eventBridge'])!['eventBridge']['pattern'];
    expect(rule).toMatchObject({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: [{ prefix: expect.any(String) }] } });
    const sqs = (functions['worker']!['events'] as Obj[])[0]!['sqs'];
    expect(sqs).toMatchObject({ arn: { 'Fn::GetAtt': ['JobsQueue', 'Arn'] }, functionResponseType: 'ReportBatchItemFailures' });
    // The watch runs on a schedule (default every 5 minutes), one run at a time, inside a bounded timeout.
    const watch = functions['watch']!;
    expect((watch['events'] as Obj[])[0]!['schedule']).toEqual({ rate: '${param:watchSchedule}' });
    expect(sls['params']['default']['watchSchedule']).toBe('rate(5 minutes)');
    expect(watch['reservedConcurrency']).toBe(1);
    expect(watch['timeout']).toBeLessThanOrEqual(300);
  });

  it('has the job queue with a DLQ after three receives, and an alarm on the DLQ', () => {
    const queue = resources['JobsQueue']!;
    expect(queue['Type']).toBe('AWS::SQS::Queue');
    expect(queue['Properties']['RedrivePolicy']).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['JobsDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 });
    expect(queue['Properties']['VisibilityTimeout']).toBeGreaterThanOrEqual(functions['worker']!['timeout']);
    expect(resources['JobsDeadLetterQueue']!['Type']).toBe('AWS::SQS::Queue');
    const alarm = resources['JobsDeadLetterAlarm']!;
    expect(alarm['Type']).toBe('AWS::CloudWatch::Alarm');
    expect(alarm['Properties']['Dimensions'][0]['Value']).toEqual({ 'Fn::GetAtt': ['JobsDeadLetterQueue', 'QueueName'] });
    expect(alarm['Properties']['AlarmActions']).toEqual([{ Ref: 'OpsTopic' }]);
  });

  it('declares the table exactly as lib/store builds it, with TTL', () => {
    const table = resources['IncidentsTable']!['Properties'];
    const expected = storeTableDefinition('x');
    expect(table['KeySchema']).toEqual(expected.KeySchema);
    expect(table['AttributeDefinitions']).toEqual(expected.AttributeDefinitions);
    expect(table['GlobalSecondaryIndexes']).toEqual(expected.GlobalSecondaryIndexes);
    expect(table['TimeToLiveSpecification']).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(table['BillingMode']).toBe('PAY_PER_REQUEST');
  });

  it('keeps evidence encrypted, private and expiring', () => {
    const bucket = resources['EvidenceBucket']!['Properties'];
    expect(bucket['BucketEncryption']['ServerSideEncryptionConfiguration'][0]['ServerSideEncryptionByDefault']['SSEAlgorithm']).toBe('AES256');
    expect(bucket['PublicAccessBlockConfiguration']).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket['LifecycleConfiguration']['Rules'][0]).toMatchObject({ Status: 'Enabled', ExpirationInDays: expect.anything() });
  });

  it('gives each function its own statements, with "*" only for the CloudWatch read actions', () => {
    const allowedStar = new Set(['cloudwatch:GetMetricData', 'cloudwatch:GetMetricWidgetImage']);
    for (const [name, fn] of Object.entries(functions)) {
      const statements = resolveSelf(fn['iamRoleStatements']) as Obj[];
      expect(statements, name).toBeInstanceOf(Array);
      for (const s of statements) {
        const actions = ([] as string[]).concat(s['Action']);
        const res = ([] as unknown[]).concat(s['Resource']);
        expect(actions.some((a) => a.endsWith(':*') || a === '*'), `${name}: ${actions}`).toBe(false);
        if (res.includes('*')) expect(actions.every((a) => allowedStar.has(a)), `${name}: ${actions} on *`).toBe(true);
      }
    }
    expect(sls['provider']['iam']).toBeUndefined(); // no shared role statements
    const actionsOf = (fn: string) => (resolveSelf(functions[fn]!['iamRoleStatements']) as Obj[]).flatMap((s) => s['Action']);
    expect(actionsOf('worker')).toEqual(expect.arrayContaining(['cloudwatch:GetMetricData', 'cloudwatch:GetMetricWidgetImage', 'ecs:UpdateService', 'ecs:DescribeServices', 'ecs:ListTasks', 'ecs:DescribeTasks', 's3:PutObject']));
    expect(actionsOf('alarm')).not.toContain('ecs:UpdateService');
    expect(actionsOf('slack')).not.toContain('secretsmanager:GetSecretValue');
  });

  it('resolves nothing that needs AWS at packaging time', () => {
    const text = read('serverless.yml');
    expect(text).not.toMatch(/\$\{(ssm|aws|cf|s3):/);
    // Secrets: by name at run time, or CloudFormation dynamic references at deploy time.
    expect(functions['slack']!['environment']['SLACK_BOT_TOKEN']).toMatch(/^\{\{resolve:secretsmanager:/);
  });
});

describe('infra/', () => {
  it('k8s-rbac.yaml grants pods get/list, pods/proxy get, deployments get/patch, replicasets get — per namespace', () => {
    const docs = parseAllDocuments(read('infra/k8s-rbac.yaml')).map((d) => d.toJS() as Obj);
    const role = docs.find((d) => d['kind'] === 'Role')!;
    expect(role['metadata']['namespace']).toBeTruthy();
    const rule = (resource: string) => role['rules'].find((r: Obj) => r['resources'].includes(resource));
    expect(rule('pods')['verbs']).toEqual(['get', 'list']);
    expect(rule('pods/proxy')['verbs']).toEqual(['get']);
    expect(rule('deployments')['verbs']).toEqual(['get', 'patch']);
    expect(rule('replicasets')['verbs']).toContain('get');
    expect(docs.some((d) => d['kind'] === 'ClusterRole' || d['kind'] === 'ClusterRoleBinding')).toBe(false);
    expect(docs.find((d) => d['kind'] === 'RoleBinding')!['roleRef']['name']).toBe(role['metadata']['name']);
  });

  it('cloudwatch-alarms.yml alarms on connections as a share of max_connections and on ELB 504s', () => {
    const cfn = parse(read('infra/cloudwatch-alarms.yml')) as Obj;
    const db = cfn['Resources']['DatabaseConnectionsHigh']['Properties'];
    expect(db['Metrics'][0]['MetricStat']['Metric']).toMatchObject({ Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections' });
    expect(db['Metrics'][1]['Expression']['Fn::Sub']).toMatch(/connections \/ \$\{MaxConnections\}/);
    const elb = cfn['Resources']['LoadBalancer504s']['Properties'];
    expect(elb).toMatchObject({ Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_ELB_504_Count', Statistic: 'Sum' });
  });

  it('has the grants and the Slack manifest', () => {
    expect(read('infra/grants/postgres.sql')).toMatch(/pg_monitor/);
    expect(read('infra/grants/mysql.sql')).toMatch(/PROCESS/);
    expect((parse(read('infra/slack-manifest.yml')) as Obj)['features']['slash_commands'][0]['command']).toBe('/leak');
  });
});
