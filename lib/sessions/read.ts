// What each engine reader hands to the snapshot: raw facts, before classification and grouping.
import type { Capacity, Engine, Session, SnapshotProblem } from './model.ts';

export interface ReadOptions {
  /** Whole read, connect included. */
  timeoutMs: number;
  /** Shown in the server's session list, so a DBA can tell the bot's session apart. */
  applicationName: string;
}

export interface EngineRead {
  engine: Engine;
  serverVersion: string | null;
  capacity: Capacity | null;
  sessions: Session[];
  problems: SnapshotProblem[];
}
