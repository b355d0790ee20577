// The shapes dump collection hands to triage: one entry per replica, and every gap named for a person.
import type { Dump } from '../goroutines/index.ts';
import type { PoolReading } from '../poolmetrics/index.ts';

export type DumpSourceKind = 'http' | 'kubernetes' | 'ecs' | 's3';

/** Something that could not be read, and why, in words an on-call engineer understands. */
export interface Gap {
  /** `http`, `kubernetes`, `ecs`, `s3`, or `dumps` for the collection as a whole. */
  source: string;
  /** What could not be read: a URL, `pod ns/name`, `task <id>`, `s3://bucket/key`, or the source itself. */
  target: string;
  reason: string;
}

export interface ReplicaDump {
  /** Pod name, ECS task id, URL host (`host:port`) or the replica folder of an S3 layout. */
  replica: string;
  /** Pod IP, task private IP, URL host or an uploaded address: matched later against database client addresses. */
  address: string | null;
  source: DumpSourceKind;
  /** Where the dump was read from (URL, API-server proxy path, `s3://…`), never with credentials. */
  location: string;
  /**
   * Null when nothing usable was read. A dump *with* a gap is a partial or qualified result: cut
   * at the byte cap, the timeout or the deadline, or an S3 upload that is some minutes old.
   */
  dump: Dump | null;
  /** Body bytes read (after any gunzip). */
  bytes: number;
  elapsedMs: number;
  /** When the dump was taken: the request time, or the upload time of an S3 object. Null if never read. */
  capturedAt: string | null;
  gap: Gap | null;
  /** Its own database/sql pool from its metrics page; absent when not served or not scraped. */
  pool?: PoolReading | null;
  /** Why its metrics page could not be read, when it was served but unreadable. */
  poolProblem?: string | null;
}

export interface DumpCollection {
  /** Every replica found, in catalog order, read or not. */
  replicas: ReplicaDump[];
  /** Every gap: the replicas' own plus those of sources that could not even be listed. */
  gaps: Gap[];
}
