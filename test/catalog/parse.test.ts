import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CatalogError, loadCatalog, parseCatalog, type Catalog, type CatalogResult } from '../../lib/catalog/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/catalog/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../leakhound.example.yml', import.meta.url));

function catalogOf(result: CatalogResult): Catalog {
  if (!result.ok) throw new Error(`expected a valid catalog:\n${result.error.message}`);
  return result.catalog;
}

function errorOf(result: CatalogResult): CatalogError {
  if (result.ok) throw new Error('expected an invalid catalog');
  return result.error;
}

describe('leakhound.example.yml', () => {
  it('is valid and complete', async () => {
    const catalog = catalogOf(await loadCatalog(EXAMPLE, {}));
    expect(catalog.services.map((s) => s.name)).toEqual(['billing-api', 'orders-api', 'ledger-worker']);
    expect(catalog.databases.map((d) => d.id)).toEqual(['orders', 'ledger']);
    expect(catalog.defaults).toEqual({
      deadlineSeconds: 8,
      slackChannel: '#incidents',
      region: 'eu-west-1',
      twoPersonRule: true,
      approvalTtlMinutes: 15,
      dumps: { concurrency: 8, timeoutSeconds: 3, maxBytes: 64 * 1024 * 1024, metricsIntervalSeconds: 1 },
      watch: { horizonHours: 6, windowHours: 2, minPoints: 6, regressionHours: 24, concurrency: 16, deadlineSeconds: 50 },
    });
    expect(catalog.services.map((s) => s.watch?.enabled)).toEqual([true, true, false]);
    const [billing, orders, ledger] = catalog.services;
    // Poolers: PgBouncer's admin URL is a secret source like the database's; RDS Proxy by name.
    expect(billing!.database.pgbouncer).toEqual({ admin: { kind: 'secret', ref: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:leakhound/orders-pgbouncer-AbCdEf' } });
    expect(ledger!.database.rdsProxy).toEqual({ name: 'ledger-proxy', targetGroup: 'default' });
    // Two services share one database object.
    expect(billing!.database).toBe(orders!.database);
    expect(billing!.database).toMatchObject({ engine: 'postgres', rds: { instance: 'orders-prod', cluster: null }, maxConnections: 400 });
    expect(ledger!.database).toMatchObject({ engine: 'mysql', url: { kind: 'env', name: 'LEDGER_DATABASE_URL' }, rds: { instance: null, cluster: 'ledger-aurora' } });
    expect(billing!.restart).toEqual({ type: 'kubernetes', namespace: 'billing', deployment: 'billing-api' });
    expect(orders!.restart).toEqual({ type: 'ecs', cluster: 'prod', service: 'orders-api', region: null });
    expect(ledger!.restart).toEqual({ type: 'command', argv: ['/opt/leakhound/bin/restart-ledger-worker', '--graceful'], timeoutSeconds: 120 });
    expect(billing!.dumps.sources).toEqual([
      { type: 'kubernetes', namespace: 'billing', selector: 'app.kubernetes.io/name=billing-api', port: 6060, scheme: 'http', path: '/debug/pprof/goroutine', metrics: { path: '/metrics', port: 9090 } },
    ]);
    expect(orders!.dumps).toEqual({
      debug: 1,
      sources: [{ type: 'ecs', cluster: 'prod', service: 'orders-api', port: 6060, scheme: 'http', path: '/debug/pprof/goroutine', region: null }],
    });
    expect(ledger!.dumps.sources.map((s) => s.type)).toEqual(['http', 's3']);
    expect(orders!.twoPersonRule).toBe(true);
    expect(orders!.approvalTtlMinutes).toBe(15);
    expect(ledger!.alarms.kind).toBe('db-connections-high');
  });

  it('writes no connection string inline', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const active = text.split('\n').filter((line) => !line.trimStart().startsWith('#'));
    expect(active.join('\n')).not.toMatch(/(postgres|mysql):\/\//);
  });
});

describe('fixtures', () => {
  it('minimal.yml: defaults fill everything left out', async () => {
    const catalog = catalogOf(await loadCatalog(FIXTURES + 'minimal.yml', {}));
    const [svc] = catalog.services;
    expect(svc).toEqual({
      name: 'checkout',
      description: null,
      applicationNames: ['checkout'],
      database: { id: 'checkout', engine: 'postgres', url: { kind: 'env', name: 'CHECKOUT_DATABASE_URL' }, rds: null, maxConnections: null },
      loadBalancer: null,
      dumps: { debug: 1, sources: [{ type: 'http', urls: ['http://127.0.0.1:6060/debug/pprof/goroutine'] }] },
      restart: null,
      slackChannel: '#leakhound',
      approvers: { users: [], usergroup: null },
      twoPersonRule: true,
      approvalTtlMinutes: 15,
      alarms: { names: [], dimensions: {}, labels: {}, kind: null },
      watch: { enabled: true, horizonHours: null },
    });
    expect(catalog.defaults.deadlineSeconds).toBe(8);
    expect(catalog.defaults.region).toBeNull();
  });

  it('shared-database.json: JSON works, byte sizes and single values are normalised', async () => {
    const catalog = catalogOf(await loadCatalog(FIXTURES + 'shared-database.json', {}));
    expect(catalog.defaults.dumps).toEqual({ concurrency: 4, timeoutSeconds: 2, maxBytes: 8 * 1024 * 1024 });
    const [api, worker] = catalog.services;
    expect(api!.database).toBe(worker!.database);
    expect(api!.database.url).toEqual({ kind: 'secret', ref: '/prod/main/database-url' });
    expect(api!.dumps).toEqual({
      debug: 2,
      sources: [{ type: 'kubernetes', namespace: 'shop', selector: 'app=api', port: 'pprof', scheme: 'https', path: '/debug/pprof/goroutine' }],
    });
    expect(api!.twoPersonRule).toBe(false);
    expect(worker!.twoPersonRule).toBe(true);
    expect(api!.approvers).toEqual({ users: [], usergroup: 'S0SHOPOPS' });
    expect(worker!.slackChannel).toBe('C0LEAKHOUND');
    expect(worker!.alarms).toEqual({ names: ['worker-*'], dimensions: {}, labels: { job: ['worker', 'worker-canary'], env: ['prod'] }, kind: null });
    expect(worker!.restart).toEqual({ type: 'command', argv: ['systemctl', 'restart', 'worker'], timeoutSeconds: 120 });
  });

  it('demo-inline.yml: an inline URL is accepted when marked demoOnly', async () => {
    const catalog = catalogOf(await loadCatalog(FIXTURES + 'demo-inline.yml', {}));
    expect(catalog.services[0]!.database.url).toEqual({ kind: 'inline', value: 'postgres://leakhound@127.0.0.1:54329/demo', demoOnly: true });
  });
});

describe('errors name the file, line, path and problem', () => {
  it('a wrongly typed nested field', async () => {
    const file = FIXTURES + 'invalid-restart-namespace.yml';
    const error = errorOf(await loadCatalog(file, {}));
    expect(error.issues).toEqual([{ path: 'services[2].restart.kubernetes.namespace', message: 'expected string, got number', line: 16 }]);
    expect(error.message).toBe(`${file}:16: services[2].restart.kubernetes.namespace: expected string, got number`);
    expect(error).toBeInstanceOf(Error);
  });

  it('a misspelt key, at its own path', async () => {
    const error = errorOf(await loadCatalog(FIXTURES + 'invalid-typo.yml', {}));
    expect(error.issues[0]).toEqual({ path: 'services[0].dumps.sources[0].kubernets', message: 'unknown key', line: 10 });
  });

  it('connection strings written in the file, without echoing them', async () => {
    const error = errorOf(await loadCatalog(FIXTURES + 'invalid-inline-url.yml', {}));
    expect(error.issues.map((i) => i.path)).toEqual(['services[0].database.url', 'services[1].database.url.demoOnly']);
    expect(error.issues[0]!.message).toContain('{ env: NAME }');
    expect(error.issues[1]!.message).toContain('demoOnly: true');
    expect(error.message).not.toContain('hunter2');
  });

  it('unknown database references, duplicate names, restart without approvers', async () => {
    const error = errorOf(await loadCatalog(FIXTURES + 'invalid-references.yml', {}));
    expect(error.issues).toEqual([
      { path: 'services[0].database', message: 'unknown database "mian" (defined: main)', line: 9 },
      { path: 'services[1].name', message: 'duplicate service name "api" (also services[0])', line: 10 },
      { path: 'services[1].approvers', message: 'a service with a restart target needs approvers (users and/or usergroup)', line: 10 },
    ]);
  });

  it('YAML syntax errors, with their line', async () => {
    const error = errorOf(await loadCatalog(FIXTURES + 'invalid-syntax.yml', {}));
    expect(error.issues[0]!.path).toBe('(syntax)');
    expect(error.issues[0]!.line).toBe(6);
  });

  it('a missing file, and no file at all', async () => {
    expect(errorOf(await loadCatalog(FIXTURES + 'nope.yml', {})).message).toBe(`${FIXTURES}nope.yml: (root): file not found`);
    expect(errorOf(await loadCatalog(undefined, {})).message).toContain('LEAKHOUND_CONFIG');
  });

  it.each([
    ['an empty file', '', '(root)', 'the file is empty'],
    ['a list at the top', '- a\n- b\n', '(root)', 'expected object, got array'],
    ['no services', 'defaults: { slackChannel: "#x" }\nservices: []\n', 'services', 'expected at least 1 item(s)'],
    ['no default channel', 'services: [{ name: a, database: { engine: postgres, url: { env: A } } }]\n', 'defaults', 'required (expected object)'],
    ['a bad channel', 'defaults: { slackChannel: general }\nservices: [{ name: a, database: { engine: postgres, url: { env: A } } }]\n', 'defaults.slackChannel', 'expected "#channel-name"'],
    ['two restart targets', 'defaults: { slackChannel: "#x" }\nservices: [{ name: a, database: { engine: postgres, url: { env: A } }, approvers: { users: [U0AAA] }, restart: { ecs: { cluster: c, service: s }, command: { argv: [x] } } }]\n', 'services[0].restart', 'expected exactly one of kubernetes, ecs, command, got ecs and command'],
    ['an engine typo', 'defaults: { slackChannel: "#x" }\nservices: [{ name: a, database: { engine: postgresql, url: { env: A } } }]\n', 'services[0].database.engine', 'expected one of "postgres", "mysql"'],
    ['a non-http dump URL', 'defaults: { slackChannel: "#x" }\nservices: [{ name: a, database: { engine: mysql, url: { env: A } }, dumps: { sources: [{ http: { urls: ["file:///etc/passwd"] } }] } }]\n', 'services[0].dumps.sources[0].http.urls[0]', 'expected an http(s) URL'],
    ['a bad approver ID', 'defaults: { slackChannel: "#x" }\nservices: [{ name: a, database: { engine: mysql, url: { env: A } }, approvers: { users: ["@alice"] } }]\n', 'services[0].approvers.users[0]', 'expected a Slack user ID'],
  ])('%s', (_label, text, path, message) => {
    const error = errorOf(parseCatalog(text, 'inline.yml'));
    const issue = error.issues.find((i) => i.path === path);
    expect(issue, error.message).toBeDefined();
    expect(issue!.message).toContain(message);
    expect(error.message).toContain(`inline.yml`);
  });
});

describe('environment overrides', () => {
  const text = readFileSync(FIXTURES + 'minimal.yml', 'utf8');

  it('LEAKHOUND_CONFIG names the file', async () => {
    const catalog = catalogOf(await loadCatalog(undefined, { LEAKHOUND_CONFIG: FIXTURES + 'minimal.yml' }));
    expect(catalog.file).toBe(FIXTURES + 'minimal.yml');
  });

  it('override operational defaults', () => {
    const catalog = catalogOf(
      parseCatalog(text, 'minimal.yml', {
        env: {
          LEAKHOUND_DEFAULT_CHANNEL: '#ops',
          LEAKHOUND_DEADLINE_SECONDS: '4.5',
          LEAKHOUND_DUMP_CONCURRENCY: '2',
          LEAKHOUND_DUMP_TIMEOUT_SECONDS: '1',
          LEAKHOUND_DUMP_MAX_BYTES: '1MiB',
          AWS_REGION: 'us-east-1',
        },
      }),
    );
    expect(catalog.defaults).toMatchObject({
      slackChannel: '#ops',
      deadlineSeconds: 4.5,
      dumps: { concurrency: 2, timeoutSeconds: 1, maxBytes: 1024 * 1024 },
      region: 'us-east-1',
    });
    // Services without their own channel follow the default.
    expect(catalog.services[0]!.slackChannel).toBe('#ops');
  });

  it('AWS_REGION does not beat the file; LEAKHOUND_AWS_REGION does', () => {
    const withRegion = text.replace('defaults:\n', 'defaults:\n  region: eu-west-1\n');
    expect(catalogOf(parseCatalog(withRegion, 'x.yml', { env: { AWS_REGION: 'us-east-1' } })).defaults.region).toBe('eu-west-1');
    expect(catalogOf(parseCatalog(withRegion, 'x.yml', { env: { LEAKHOUND_AWS_REGION: 'ap-south-1' } })).defaults.region).toBe('ap-south-1');
  });

  it('a bad value names the variable', () => {
    const error = errorOf(parseCatalog(text, 'minimal.yml', { env: { LEAKHOUND_DEADLINE_SECONDS: 'soon' } }));
    expect(error.issues).toEqual([
      { path: 'defaults.deadlineSeconds', message: 'expected number, got string (set by environment variable LEAKHOUND_DEADLINE_SECONDS)', line: null },
    ]);
  });
});

describe('pooler and pool-metrics keys', () => {
  it('refuses an inline PgBouncer admin URL, a misspelt key, and accepts metrics: false', () => {
    const bad = parseCatalog(
      `defaults: { slackChannel: "#x" }
services:
  - name: a
    database: { engine: postgres, url: { env: A }, pgbouncer: { admin: "postgres://u:p@h/pgbouncer" }, rdsProxy: { nmae: p } }
    dumps: { sources: [ { http: { urls: ["http://10.0.0.1:6060"], metrics: false } } ] }
`,
      'bad.yml',
    );
    expect(bad.ok).toBe(false);
    const messages = bad.ok ? '' : bad.error.message;
    expect(messages).toMatch(/pgbouncer\.admin: a connection string may not be written here/);
    expect(messages).toMatch(/rdsProxy/);
    expect(messages).not.toContain('u:p@');
    const good = parseCatalog(
      `defaults: { slackChannel: "#x" }
services:
  - name: a
    database: { engine: postgres, url: { env: A } }
    dumps: { sources: [ { http: { urls: ["http://10.0.0.1:6060"], metrics: false } } ] }
`,
      'good.yml',
    );
    if (!good.ok) throw good.error;
    expect(good.catalog.services[0]!.dumps.sources[0]).toEqual({ type: 'http', urls: ['http://10.0.0.1:6060'], metrics: null });
  });
});
