// The shapes every goroutine-dump reader produces and every consumer (triage, CLI, Slack) reads.

/** Which form a dump came in. `traceback` is SIGQUIT/panic/crash output (debug=2 text plus a preamble). */
export type DumpFormat = 'debug2' | 'debug1' | 'pprof' | 'traceback';

export interface Frame {
  /** Fully qualified function without arguments, e.g. `database/sql.(*Tx).awaitDone`. */
  function: string;
  file: string;
  line: number;
}

export interface WaitSpread {
  min: number;
  median: number;
  max: number;
}

/** Goroutines that share one stack (function frames, ignoring args and addresses) and one label set. */
export interface StackGroup {
  /** Stable key of the stack + labels, usable to diff two dumps of the same binary. */
  key: string;
  count: number;
  /** Wait reason / status -> goroutine count, e.g. `{ "select": 40, "chan receive": 2 }`. */
  states: Record<string, number>;
  /** Minutes blocked, when the format carries them (debug=2 / traceback). Null otherwise. */
  waitMinutes: WaitSpread | null;
  /** Innermost first, as the runtime prints them. */
  frames: Frame[];
  /** The `go` statement that started these goroutines, if printed. */
  createdBy: Frame | null;
  /**
   * Stacks of the goroutines that created these ones, at creation time (printed with
   * GODEBUG=tracebackancestors=N), nearest ancestor first. Empty when not printed.
   */
  ancestry: Frame[];
  labels: Record<string, string>;
  /** How many of the group were `locked to thread`. */
  lockedToThread: number;
}

export interface Dump {
  format: DumpFormat;
  /** Goroutines actually read (for a truncated dump, fewer than the process had). */
  goroutines: number;
  /** The process's own total when the format states it (debug=1 header), else null. */
  declaredTotal: number | null;
  /** True when the runtime cut the dump (64 MiB cap) or the input ended mid-goroutine. */
  truncated: boolean;
  groups: StackGroup[];
  /** First line(s) of a panic/fatal error/SIGQUIT preamble, if any. */
  preamble: string | null;
  /** Bytes read. */
  bytes: number;
}

export type FindingKind =
  | 'tx-leak'
  | 'rows-leak'
  | 'pool-exhausted'
  | 'pgx-acquire-wait'
  | 'http-body-leak'
  | 'goroutine-leak'
  | 'stuck-in-query';

export type Confidence = 'high' | 'medium' | 'low';

export interface Culprit {
  function: string;
  file: string;
  line: number;
  labels: Record<string, string>;
  /** Where the name came from, strongest first: pprof labels, first application frame, creator. */
  evidence: 'labels' | 'app-frame' | 'creator' | 'none';
}

export interface Finding {
  kind: FindingKind;
  count: number;
  confidence: Confidence;
  culprit: Culprit;
  /** One sentence for a person, e.g. "12 transactions opened in main.(*api).transfer never finished". */
  summary: string;
  waitMinutes: WaitSpread | null;
  /** How many of them the runtime's goroutine leak profile proved leaked (Go 1.26+); 0 when not read. */
  proved: number;
  /** Keys of the stack groups that make up the finding. */
  groupKeys: string[];
}
