// What the evidence page is made of: the Report plus the raw evidence behind it (every
// replica's dump, the session snapshot), the incident's audit log, the readings before and after
// a remedy and the metric graph. Everything but the Report is optional: `leakhound analyze
// --html` has only dumps, a triage without an incident has no timeline.
import type { Dump } from '../goroutines/index.ts';
import type { Snapshot } from '../sessions/index.ts';
import type { AuditEntry, Incident } from '../store/index.ts';
import type { Reading, Report } from '../triage/index.ts';

export interface PageReplica {
  replica: string;
  address: string | null;
  capturedAt: string | null;
  dump: Dump | null;
}

export interface PageReading {
  /** ISO time of the reading. */
  at: string;
  reading: Reading;
  /** What it was: `before the restart`, `2 min after the restart`. */
  label: string;
}

export interface PageLimits {
  /** Stack groups shown in full (findings first, then the largest); the rest are summarised. */
  groups: number;
  /** Frames printed per stack; the rest are counted. */
  framesPerStack: number;
  /** Summary rows for groups beyond `groups`. */
  summarisedGroups: number;
  /** Session rows listed; the groups by state and fingerprint always cover them all. */
  sessions: number;
  /** Timeline entries (the newest are kept). */
  timeline: number;
}

export const DEFAULT_LIMITS: PageLimits = { groups: 60, framesPerStack: 32, summarisedGroups: 200, sessions: 400, timeline: 400 };

export interface EvidencePageInput {
  /** Null for `leakhound analyze --html`: dumps alone, no triage. */
  report: Report | null;
  /** A title when there is no Report (the dump files read). */
  title?: string;
  incident?: Pick<Incident, 'id' | 'firstSeen' | 'lastSeen' | 'alarmCount' | 'reopenCount' | 'resolvedAt' | 'state'> | null;
  replicas?: PageReplica[];
  snapshot?: Snapshot | null;
  audit?: AuditEntry[];
  /** Readings around a remedy, oldest first; the Report's own reading is the first "before". */
  readings?: PageReading[];
  /** PNG bytes from CloudWatch GetMetricWidgetImage. */
  graphPng?: Uint8Array | null;
  generatedAt?: Date;
  limits?: Partial<PageLimits>;
  /** Extra secret values to remove (a database password the caller knows). */
  secrets?: readonly string[];
}
