// Public surface of database session forensics (PostgreSQL, MySQL, MariaDB).
export type * from './model.ts';
export { takeSnapshot, type SnapshotOptions } from './snapshot.ts';
export { classifySessions, appOf, type ClassifyOptions } from './classify.ts';
export { groupSessions } from './group.ts';
export {
  fingerprint,
  cachedFingerprinter,
  readStatement,
  cachedStatementReader,
  type FingerprintOptions,
  type SqlDialect,
  type StatementReading,
} from './fingerprint.ts';
export { parseSqlComment, describeTags, type SqlCommentTags } from './sql-comment.ts';
export { problemFromError, type ProblemContext } from './problems.ts';
export {
  terminateSessions,
  terminationTargetFor,
  type TerminationTarget,
  type TerminationExpectation,
  type TerminationResult,
  type TerminationOutcome,
  type TerminationReport,
  type TerminateOptions,
} from './terminate-guarded.ts';
export { verdictOf, clusterSuspects, describeCluster, type Verdict, type VerdictLevel, type SuspectCluster } from './verdict.ts';
export { parseDatabaseUrl, DatabaseUrlError, type DatabaseTarget } from './target.ts';
export { redactUrl } from '../redact/index.ts';
export { capacityOf, isNearFull } from './capacity.ts';
export { formatAge } from './age.ts';
/** Closes a pg client without waiting for the server (PgBouncer's console uses it too). */
export { destroyPgClient } from './postgres.ts';
