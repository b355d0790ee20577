// takeSnapshot: read the sessions of one database, classify and group them. Never throws for
// anything the database or network does: failures come back as problems in the snapshot.
import { z } from 'zod';
import { classifySessions } from './classify.ts';
import { groupSessions } from './group.ts';
import type { Engine, Snapshot, Thresholds } from './model.ts';
import { readMysql } from './mysql.ts';
import { readPostgres } from './postgres.ts';
import { invalidTargetProblem } from './problems.ts';
import type { EngineRead } from './read.ts';
import { redactUrl } from '../redact/index.ts';
import { DatabaseUrlError, parseDatabaseUrl } from './target.ts';

const optionsSchema = z
  .object({
    /** Whole snapshot, connection included. */
    timeoutMs: z.number().int().min(100).max(120_000).default(5_000),
    /** Open transactions and idle sessions become suspects from this age. */
    minAgeMs: z.number().min(0).default(30_000),
    /** Active statements become suspects from this age (default: minAgeMs). */
    longQueryMs: z.number().min(0).optional(),
    /** Lock waits become suspects from this age (default: the smaller of minAgeMs and 5 s). */
    lockWaitMs: z.number().min(0).optional(),
    /** Known pool sizes per application name, e.g. from the catalog. */
    poolSizes: z.record(z.string(), z.number().int().positive()).optional(),
    applicationName: z.string().min(1).max(63).default('leakhound'),
  })
  .strict();

export type SnapshotOptions = z.input<typeof optionsSchema>;

function engineFromScheme(url: string): Engine {
  if (/^mariadb:/i.test(url)) return 'mariadb';
  if (/^mysql:/i.test(url)) return 'mysql';
  return 'postgres';
}

/**
 * Snapshot of every client session of the database at `url` (postgres://, postgresql://,
 * mysql://, mariadb://). Costs one connection and at most three read-only statements.
 */
export async function takeSnapshot(url: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const opts = optionsSchema.parse(options);
  const thresholds: Thresholds = {
    minAgeMs: opts.minAgeMs,
    longQueryMs: opts.longQueryMs ?? opts.minAgeMs,
    lockWaitMs: opts.lockWaitMs ?? Math.min(opts.minAgeMs, 5_000),
  };
  const started = Date.now();
  const takenAt = new Date(started).toISOString();

  let read: EngineRead;
  let target: string;
  try {
    const parsed = parseDatabaseUrl(url);
    target = parsed.redacted;
    const readOpts = { timeoutMs: opts.timeoutMs, applicationName: opts.applicationName };
    read = parsed.engine === 'postgres' ? await readPostgres(parsed, readOpts) : await readMysql(parsed, readOpts);
  } catch (err) {
    if (!(err instanceof DatabaseUrlError)) throw err;
    target = redactUrl(typeof url === 'string' ? url : '');
    read = {
      engine: engineFromScheme(String(url)),
      serverVersion: null,
      capacity: null,
      sessions: [],
      problems: [invalidTargetProblem(err.message)],
    };
  }

  return {
    engine: read.engine,
    target,
    takenAt,
    durationMs: Date.now() - started,
    serverVersion: read.serverVersion,
    capacity: read.capacity,
    sessions: read.sessions,
    groups: groupSessions(read.sessions),
    suspects: classifySessions(read.sessions, read.capacity, thresholds, { poolSizes: opts.poolSizes ?? {} }),
    problems: read.problems,
    thresholds,
  };
}
