// Reader for full tracebacks: `/debug/pprof/goroutine?debug=2` and the output of a SIGQUIT,
// panic or fatal error (Go 1.17–1.27 forms). Lines are pushed one at a time; nothing but the
// current goroutine and the groups is kept.
import { isHiddenRuntimeFrame } from './functions.ts';
import { GroupBuilder, parseLocation, stackKey, type GroupShape } from './grouping.ts';
import { labelKey, parseLabelText, type Labels } from './labels.ts';
import type { Frame } from './model.ts';
import { utf8FromLatin1, type LineReader } from './text.ts';

// goroutine 18 [select, 42 minutes, locked to thread]:
// goroutine 1 gp=0xc000002380 m=0 mp=0x5f3f60 [running]:           (GOTRACEBACK=system, Go 1.23+)
// goroutine 7 [chan receive (durable), synctest bubble 1]:          (Go 1.25+)
// goroutine 9 [select (leaked)]:                                    (Go 1.26 goroutine leak profile)
// goroutine 5 [select, 2 minutes] labels:{"route": "/transfer"}:   (Go 1.27+, tracebacklabels)
const HEADER = /^goroutine \d+(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\]]*)\](.*):$/;
// go.uber.org/goleak ≥ 1.3: the header of a leaked goroutine, without the runtime's own.
const GOLEAK_HEADER = /^\[?Goroutine (\d+) in state ([^,]+), with \S+ on top of the stack:\s*$/;
const MAX_PREAMBLE_LINES = 8;
// A frame's location once its indentation is gone (pastes turn the tab into spaces, some tools
// drop it): `file:line`, optionally ` +0xNN` and ` fp=… sp=… pc=…`. Paths may hold spaces.
const LOCATION = /^\S.*:\d+( \+0x[0-9a-fA-F]+)?( fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?\s*$/;

interface HeaderStatus {
  state: string;
  wait: number | null;
  locked: boolean;
}

/** Parses the bracket of a header: `select (scan), 42 minutes, locked to thread`. */
function parseStatus(bracket: string): HeaderStatus {
  const parts = bracket.split(', ');
  let state = parts[0] ?? '';
  // Transient markers that say nothing about why the goroutine waits.
  if (state.includes(' (scan)')) state = state.replace(' (scan)', '');
  if (state.includes(' (durable)')) state = state.replace(' (durable)', '');
  let wait: number | null = null;
  let locked = false;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.endsWith(' minutes')) {
      const n = Number(p.slice(0, -8));
      if (Number.isFinite(n)) wait = n;
    } else if (p === 'locked to thread') {
      locked = true;
    }
    // "synctest bubble N" / "synctest group N": test-only, no bearing on leaks.
  }
  return { state, wait, locked };
}

const enum Section {
  None,
  Own,
  Ancestor,
}

export class TracebackReader implements LineReader {
  readonly groups = new GroupBuilder();
  private section = Section.None;
  private readonly preamble: string[] = [];
  private sawGoroutine = false;
  /** The dump's stacks carry no headers at all (leaktest), so each goroutine ends at its creator. */
  private headerless = false;
  /** The goroutine being read was opened by goleak's header, which the runtime's may follow. */
  private fromGoleak = false;
  // A dump has few distinct header brackets ("select, 12 minutes"): parse each once.
  private readonly statusCache = new Map<string, HeaderStatus>();

  // The goroutine being read.
  private fns: string[] = [];
  private locs: string[] = [];
  private ancestryFns: string[] = [];
  private ancestryLocs: string[] = [];
  private creator = '';
  private creatorLoc = '';
  private state = '';
  private wait: number | null = null;
  private locked = false;
  private labels: Labels = {};
  private labelsKey = '';
  /** The last line read was a function line still waiting for its `\tfile:line`. */
  private awaitingLocation = false;
  private pendingTarget: 'own' | 'ancestor' | 'creator' | 'skip' = 'skip';

  /** Feeds one line without its newline. */
  line(text: string): void {
    const c = text.charCodeAt(0);
    if (c === 9 /* \t */) {
      if (this.section !== Section.None) this.location(text);
      return;
    }
    if (c === 32 /* space: a pasted or indented dump */) {
      const trimmed = text.trimStart();
      if (this.awaitingLocation && this.section !== Section.None && LOCATION.test(trimmed)) this.location(`\t${trimmed}`);
      else this.line(trimmed);
      return;
    }
    if (c === 103 /* g */ && text.startsWith('goroutine ') && text.charCodeAt(text.length - 1) === 58 /* : */) {
      // Fast path for the common `goroutine N [status]:`; anything else goes through the regex.
      const open = text.indexOf(' [', 10);
      const close = text.length - 2;
      if (open > 10 && text.charCodeAt(close) === 93 /* ] */ && isDigits(text, 10, open)) {
        this.header(text.slice(open + 2, close), '');
        return;
      }
      const m = HEADER.exec(text);
      if (m) {
        this.header(m[1]!, m[2]!);
        return;
      }
    }
    if (c === 71 /* G */ || c === 91 /* [ */) {
      const m = GOLEAK_HEADER.exec(text);
      if (m) {
        this.flush();
        this.begin(m[2]!, '');
        this.fromGoleak = true;
        return;
      }
    }
    if (this.section === Section.None) {
      // A stack printed without any header (fortytw2/leaktest): its first frame starts a goroutine.
      if (!this.sawGoroutine && functionName(text) !== null) {
        this.begin('unknown', '');
      } else {
        if (!this.sawGoroutine && text.length > 0 && this.preamble.length < MAX_PREAMBLE_LINES) this.preamble.push(text.slice(0, 500));
        return;
      }
    }
    if (text.length === 0) {
      this.flush();
      return;
    }
    if (c === 99 /* c */ && text.startsWith('created by ')) {
      let name = text.slice(11);
      const inG = name.indexOf(' in goroutine ');
      if (inG >= 0) name = name.slice(0, inG);
      if (this.section === Section.Own) {
        this.creator = name;
        this.pendingTarget = 'creator';
      } else {
        this.ancestryFns.push(name);
        this.ancestryLocs.push('');
        this.pendingTarget = 'ancestor';
      }
      this.awaitingLocation = true;
      return;
    }
    if (c === 91 /* [ */ && text.startsWith('[originating from goroutine ')) {
      this.section = Section.Ancestor;
      this.awaitingLocation = false;
      return;
    }
    if (c === 46 /* . */ && text.startsWith('...')) return; // "...N frames elided..." / "...additional frames elided..."
    if (text.charCodeAt(text.length - 1) !== 41 /* ) */) {
      // A location that lost its indentation; otherwise register dumps, "exit status 2", noise.
      if (this.awaitingLocation && LOCATION.test(text)) this.location(`\t${text}`);
      return;
    }
    const fn = functionName(text);
    if (fn === null) return;
    // Stacks printed back to back without headers (leaktest): a frame after the creator starts the next.
    if (this.headerless && this.section === Section.Own && this.creator && !this.awaitingLocation) {
      this.flush();
      this.begin('unknown', '');
    }
    if (isHiddenRuntimeFrame(fn)) {
      this.pendingTarget = 'skip';
    } else if (this.section === Section.Own) {
      this.fns.push(fn);
      this.locs.push('');
      this.pendingTarget = 'own';
    } else {
      this.ancestryFns.push(fn);
      this.ancestryLocs.push('');
      this.pendingTarget = 'ancestor';
    }
    this.awaitingLocation = true;
  }

  /** A runtime header. After goleak's own header (older goleak prints both) it is the same goroutine. */
  private header(bracket: string, suffix: string): void {
    const sameGoroutine = this.fromGoleak && this.section === Section.Own && this.fns.length === 0 && !this.creator;
    if (!sameGoroutine) this.flush();
    this.begin(bracket, suffix);
    this.headerless = false;
  }

  private location(text: string): void {
    if (!this.awaitingLocation) return; // e.g. "\tgoroutine running on other thread; stack unavailable"
    this.awaitingLocation = false;
    switch (this.pendingTarget) {
      case 'own':
        this.locs[this.locs.length - 1] = text;
        break;
      case 'ancestor':
        this.ancestryLocs[this.ancestryLocs.length - 1] = text;
        break;
      case 'creator':
        this.creatorLoc = text;
        break;
      case 'skip':
        break;
    }
  }

  private begin(bracket: string, suffix: string): void {
    if (!this.sawGoroutine) this.headerless = bracket === 'unknown' && suffix === '';
    this.fromGoleak = false;
    this.section = Section.Own;
    this.sawGoroutine = true;
    this.fns = [];
    this.locs = [];
    this.ancestryFns = [];
    this.ancestryLocs = [];
    this.creator = '';
    this.creatorLoc = '';
    this.awaitingLocation = false;
    this.pendingTarget = 'skip';
    let status = this.statusCache.get(bracket);
    if (!status) {
      if (this.statusCache.size > 10_000) this.statusCache.clear();
      status = parseStatus(bracket);
      this.statusCache.set(bracket, status);
    }
    this.state = status.state;
    this.wait = status.wait;
    this.locked = status.locked;
    if (suffix.includes('{')) {
      this.labels = parseLabelText(utf8FromLatin1(suffix));
      this.labelsKey = labelKey(this.labels);
    } else {
      this.labels = {};
      this.labelsKey = '';
    }
  }

  /** Ends the goroutine being read (at a blank line, the next header or the end of input). */
  private flush(): void {
    if (this.section === Section.None) return;
    this.section = Section.None;
    const fns = this.fns;
    // A goroutine with only runtime frames still counts; its creator tells such stacks apart.
    const key = stackKey(fns.length ? fns : [`(runtime) ${this.creator}`], this.ancestryFns, this.labelsKey);
    this.groups.add(key, 1, this.state, this.wait, this.locked, () => this.shape());
  }

  private shape(): GroupShape {
    const frames: Frame[] = this.fns.map((fn, i) => parseLocation(utf8FromLatin1(this.locs[i]!), utf8FromLatin1(fn)));
    const ancestry: Frame[] = this.ancestryFns.map((fn, i) => parseLocation(utf8FromLatin1(this.ancestryLocs[i]!), utf8FromLatin1(fn)));
    return {
      frames,
      createdBy: this.creator ? parseLocation(utf8FromLatin1(this.creatorLoc), utf8FromLatin1(this.creator)) : null,
      ancestry,
      labels: this.labels,
    };
  }

  /**
   * Ends the input. `cut` says the input was cut mid-goroutine (no final newline, or the
   * runtime's 64 MiB cap): the goroutine being read is incomplete and is dropped, not counted.
   */
  end(cut: boolean): { preamble: string | null; incompleteDropped: boolean } {
    let dropped = false;
    if (cut && this.section !== Section.None) {
      this.section = Section.None;
      dropped = true;
    } else {
      this.flush();
    }
    return { preamble: this.preamble.length ? this.preamble.join('\n') : null, incompleteDropped: dropped };
  }
}

/**
 * The function of a frame line (`pkg.(*T).method(0xc000…, …)`), or null for anything else. Go
 * names hold no blanks outside generic brackets, so `--- FAIL: TestLeak (0.52s)` and
 * `ok  \tpkg\t(cached)` around a dump are not frames.
 */
function functionName(text: string): string | null {
  if (text.charCodeAt(text.length - 1) !== 41 /* ) */) return null;
  const paren = text.lastIndexOf('(');
  if (paren <= 0) return null;
  const fn = text.slice(0, paren);
  const blank = fn.search(/\s/);
  if (blank >= 0 && !(fn.indexOf('[') >= 0 && fn.indexOf('[') < blank)) return null;
  return fn;
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return to > from;
}
