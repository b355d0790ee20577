// The demo environment, shared by `npm run demo` (one triage) and `npm run dev` (the Slack app,
// restarts included): an embedded PostgreSQL with a small max_connections, the leaking
// billing-api, and a catalog for them, all in one private temporary directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, type Catalog } from '../catalog/index.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../localdb/index.ts';
import { ownName, sweepLeftovers } from '../localdb/index.ts';
import { loadSchema, startLeakyService, type LeakyService } from './leaky-service.ts';

// 9 less PostgreSQL's 3 superuser slots leaves 6 for applications: exactly billing-api's pool,
// so the leak fills the database, as in production. Leakhound gets in through a reserved slot.
export const DEMO_MAX_CONNECTIONS = 9;
// The demo's leaks are seconds old, not minutes: treat sessions idle this long as suspects.
export const DEMO_MIN_AGE_MS = 1_000;
/** The database's name in the catalog, and in the alarm that names it. */
export const DEMO_RDS_INSTANCE = 'demo-orders';
const DEMO_DIR = 'leakhound-demo-';
/** The approvers of billing-api (two, for the two-person rule). */
export const DEMO_APPROVERS = ['U0DEMO1', 'U0DEMO2'] as const;

export interface DemoEnvironment {
  catalog: Catalog;
  catalogPath: string;
  service: LeakyService;
  /** Stops the service and the database and removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

function demoCatalog(dbUrl: string, service: LeakyService): string {
  // Inline URLs are allowed only with demoOnly: a real catalog takes them from env or a secret.
  return `# written by leakhound (demo environment)
version: 1
defaults:
  deadlineSeconds: 8
  slackChannel: "#incidents"
services:
  - name: billing-api
    database:
      engine: postgres
      url: { inline: ${JSON.stringify(dbUrl)}, demoOnly: true }
      rds: { instance: ${DEMO_RDS_INSTANCE} }
    dumps:
      debug: 1
      sources:
        - http: { urls: [${JSON.stringify(service.url)}] }
    restart:
      command: { argv: ${JSON.stringify(service.restartArgv)}, timeoutSeconds: 30 }
    slackChannel: "#billing-oncall"
    approvers: { users: [${DEMO_APPROVERS.join(', ')}] }
`;
}

/** Starts everything, saying what it does through `step`; on failure, stops what it started. */
export async function startDemoEnvironment(step: (line: string) => void): Promise<DemoEnvironment> {
  let db: RunningPostgres | undefined;
  let service: LeakyService | undefined;
  // Its catalog holds the database's password: what an earlier run killed left is removed.
  await sweepLeftovers(tmpdir(), [DEMO_DIR], new Set([process.getuid?.() ?? -1]));
  const dir = await mkdtemp(join(tmpdir(), ownName(DEMO_DIR)));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service?.stop().catch(() => undefined);
    await db?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    step(`starting an embedded PostgreSQL with max_connections=${DEMO_MAX_CONNECTIONS}`);
    db = await startEmbeddedPostgres({ maxConnections: DEMO_MAX_CONNECTIONS });
    await loadSchema(db.url);
    service = await startLeakyService(db.url, dir, step);
    const catalogPath = join(dir, 'leakhound.yml');
    await writeFile(catalogPath, demoCatalog(db.url, service), { mode: 0o600 });
    const loaded = await loadCatalog(catalogPath);
    if (!loaded.ok) throw loaded.error;
    step(`catalog: billing-api on database ${DEMO_RDS_INSTANCE}, dumps from ${service.url}`);
    return { catalog: loaded.catalog, catalogPath, service, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
