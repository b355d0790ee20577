// The catalog file's schema. Objects are strict so a misspelt key is an error at its own path,
// not a silently ignored setting. "One of" blocks (dump source, restart target, url) are
// objects with optional keys plus a check, which reports far better than a zod union.
import { z } from 'zod';

const ALERT_SIGNALS = ['db-connections-high', 'lb-5xx', 'other'] as const;

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected lower-case letters, digits, ".", "_" or "-" (max 63)');
const text = z.string().min(1);
const port = z.number().int().min(1).max(65535);
const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region such as eu-west-1');
const slackChannel = z
  .string()
  .regex(/^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{8,})$/, 'expected "#channel-name" or a channel ID such as C0123ABCD');
const stringOrList = z.union([text, z.array(text).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v));
const positiveSeconds = z.number().positive().max(3600);

/** `16MiB`, `512 KiB`, `1GB` or a plain byte count. */
export function parseByteSize(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$/i.exec(value);
  if (!match) return null;
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  const bytes = Math.round(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

const byteSize = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: 'expected a positive byte size such as 16777216 or "16MiB"' });
    return z.NEVER;
  }
  return bytes;
});

function exactlyOne<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[], what: string) {
  return (value: T, ctx: z.RefinementCtx) => {
    const present = keys.filter((k) => value[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          present.length === 0
            ? `expected one of ${keys.join(', ')} (${what})`
            : `expected exactly one of ${keys.join(', ')}, got ${present.join(' and ')}`,
      });
    }
  };
}

// --- database -------------------------------------------------------------------------------

const urlSource = z
  .strictObject(
    {
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
      secret: text
        .regex(/^(arn:aws[a-z-]*:(secretsmanager|ssm):|\/)/, 'expected a Secrets Manager/SSM ARN or an SSM parameter path starting with "/"')
        .optional(),
      inline: text.optional(),
      demoOnly: z.literal(true).optional(),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type' && typeof issue.input === 'string'
          ? 'a connection string may not be written here; use { env: NAME } or { secret: ARN }'
          : undefined,
    },
  )
  .superRefine(exactlyOne(['env', 'secret', 'inline'], 'where the connection string comes from'))
  .superRefine((value, ctx) => {
    if (value.inline !== undefined && value.demoOnly !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['demoOnly'],
        message: 'inline connection strings are for local demos only: add demoOnly: true, or use env:/secret:',
      });
    }
  });

const rdsIdentity = z
  .strictObject({ instance: text.optional(), cluster: text.optional() })
  .superRefine(exactlyOne(['instance', 'cluster'], 'the RDS DB instance or cluster identifier'));

// A pooler in front of the database: PgBouncer's admin console (a URL, as secret as the
// database's), or the RDS Proxy whose CloudWatch metrics to read.
const pgbouncer = z.strictObject({ admin: urlSource });
const rdsProxy = z.strictObject({ name: text, targetGroup: text.default('default') });

export const databaseSchema = z.strictObject({
  engine: z.enum(['postgres', 'mysql']),
  url: urlSource,
  rds: rdsIdentity.optional(),
  maxConnections: z.number().int().positive().optional(),
  pgbouncer: pgbouncer.optional(),
  rdsProxy: rdsProxy.optional(),
});

// --- dumps ----------------------------------------------------------------------------------

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL');

const scheme = z.enum(['http', 'https']);
const pprofPath = z.string().startsWith('/', 'expected a path starting with "/"');
export const DEFAULT_PPROF_PATH = '/debug/pprof/goroutine';
export const DEFAULT_METRICS_PATH = '/metrics';
// The service's own pool (DBStats) is scraped from each replica: by default /metrics on the
// pprof port; `false` turns it off, a port reads it from another listener.
const metricsEndpoint = z.union([z.literal(false), z.strictObject({ path: pprofPath.default(DEFAULT_METRICS_PATH), port: port.optional() })]);

const dumpSource = z
  .strictObject({
    http: z.strictObject({ urls: z.array(httpUrl).min(1), metrics: metricsEndpoint.optional() }).optional(),
    kubernetes: z
      .strictObject({
        namespace: name,
        selector: text,
        port: z.union([port, text]),
        scheme: scheme.default('http'),
        path: pprofPath.default(DEFAULT_PPROF_PATH),
        metrics: metricsEndpoint.optional(),
      })
      .optional(),
    ecs: z
      .strictObject({
        cluster: text,
        service: text,
        port,
        scheme: scheme.default('http'),
        path: pprofPath.default(DEFAULT_PPROF_PATH),
        metrics: metricsEndpoint.optional(),
        region: awsRegion.optional(),
      })
      .optional(),
    s3: z.strictObject({ bucket: text, prefix: z.string().default(''), region: awsRegion.optional() }).optional(),
  })
  .superRefine(exactlyOne(['http', 'kubernetes', 'ecs', 's3'], 'a dump source'));

const dumps = z.strictObject({
  debug: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  sources: z.array(dumpSource).min(1),
});

// --- restart --------------------------------------------------------------------------------

const restart = z
  .strictObject({
    kubernetes: z.strictObject({ namespace: name, deployment: name }).optional(),
    ecs: z.strictObject({ cluster: text, service: text, region: awsRegion.optional() }).optional(),
    command: z
      .strictObject({ argv: z.array(text).min(1), timeoutSeconds: z.number().positive().max(3600).default(120) })
      .optional(),
  })
  .superRefine(exactlyOne(['kubernetes', 'ecs', 'command'], 'a restart target'));

// A union would hide the inner errors of an inline database; dispatch on the type instead.
const databaseRef = z.unknown().transform((value, ctx): string | DatabaseEntry => {
  if (typeof value !== 'string' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    ctx.addIssue({ code: 'custom', message: 'expected the name of a database under "databases" or a database object' });
    return z.NEVER;
  }
  const parsed = typeof value === 'string' ? name.safeParse(value) : databaseSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return parsed.data;
});

// --- service --------------------------------------------------------------------------------

const approvers = z.strictObject({
  users: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user ID such as U012AB3CD')).default([]),
  usergroup: z.string().regex(/^S[A-Z0-9]{2,}$/, 'expected a Slack user group ID such as S0123ABCD').optional(),
});

const alarms = z.strictObject({
  names: stringOrList.optional(),
  dimensions: z.record(text, stringOrList).optional(),
  labels: z.record(text, stringOrList).optional(),
  kind: z.enum(ALERT_SIGNALS).optional(),
});

const service = z.strictObject({
  name,
  description: z.string().optional(),
  /** The application_name(s) its connections set; default the service name. Sessions naming another application are never its. */
  applicationName: stringOrList.optional(),
  /** The key of a shared entry under `databases`, or the database itself. */
  database: databaseRef,
  loadBalancer: text.optional(),
  dumps: dumps.optional(),
  restart: restart.optional(),
  slackChannel: slackChannel.optional(),
  approvers: approvers.optional(),
  twoPersonRule: z.boolean().optional(),
  approvalTtlMinutes: z.number().int().min(1).max(24 * 60).optional(),
  alarms: alarms.optional(),
  /** The early-warning watch (lib/watch): `false` opts the service out; an object tunes it. */
  watch: z.union([z.boolean(), z.strictObject({ horizonHours: z.number().positive().max(72).optional() })]).optional(),
});

// --- file -----------------------------------------------------------------------------------

const defaults = z.strictObject({
  deadlineSeconds: positiveSeconds.default(8),
  slackChannel,
  region: awsRegion.optional(),
  twoPersonRule: z.boolean().default(true),
  approvalTtlMinutes: z.number().int().min(1).max(24 * 60).default(15),
  dumps: z
    .strictObject({
      concurrency: z.number().int().min(1).max(256).default(8),
      timeoutSeconds: positiveSeconds.default(3),
      maxBytes: byteSize.default(64 * 1024 * 1024),
      /** Seconds between the two scrapes of each replica's pool metrics (waits growing = starvation); 0: one scrape; default 1. */
      metricsIntervalSeconds: z.number().min(0).max(30).optional(),
    })
    .prefault({}),
  // The scheduled watch (functions/watch.ts, `leakhound watch`): how far ahead it warns, how much
  // history a trend needs, how long it keeps watching after a restart, and its cost bounds.
  watch: z
    .strictObject({
      horizonHours: z.number().positive().max(72).default(6),
      windowHours: z.number().positive().max(24).default(2),
      minPoints: z.number().int().min(4).max(200).default(6),
      regressionHours: z.number().positive().max(14 * 24).default(24),
      concurrency: z.number().int().min(1).max(256).default(16),
      deadlineSeconds: positiveSeconds.default(50),
    })
    .prefault({}),
});

export const catalogFileSchema = z
  .strictObject({
    version: z.literal(1).optional(),
    defaults,
    databases: z.record(name, databaseSchema).default({}),
    services: z.array(service).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.services.forEach((svc, i) => {
      const first = seen.get(svc.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `duplicate service name "${svc.name}" (also services[${first}])` });
      } else seen.set(svc.name, i);

      if (typeof svc.database === 'string' && !Object.hasOwn(file.databases, svc.database)) {
        const known = Object.keys(file.databases);
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'database'],
          message: `unknown database "${svc.database}"${known.length > 0 ? ` (defined: ${known.join(', ')})` : ' (no "databases" defined)'}`,
        });
      }
      // A restart needs someone allowed to approve it.
      const approverCount = (svc.approvers?.users.length ?? 0) + (svc.approvers?.usergroup ? 1 : 0);
      if (svc.restart !== undefined && approverCount === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'approvers'],
          message: 'a service with a restart target needs approvers (users and/or usergroup)',
        });
      }
    });
  });

export type CatalogFile = z.infer<typeof catalogFileSchema>;
export type ServiceEntry = CatalogFile['services'][number];
export type DatabaseEntry = z.infer<typeof databaseSchema>;
