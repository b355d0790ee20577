// Reader for full tracebacks: `/debug/pprof/goroutine?debug=2` and the output of a SIGQUIT,
// panic or fatal error (Go 1.17–1.27 forms). Lines are pushed one at a time; nothing but the
// current goroutine and the groups is kept.
import { isHiddenRuntimeFrame } from './functions.ts';
import { GroupBuilder, parseLocation, stackKey, type GroupShape } from './grouping.ts';
import { labelKey, parseLabelText, type Labels } from './labels.ts';
import type { Frame } from './model.ts';

// goroutine 18 [select, 42 minutes, locked to thread]:
// goroutine 1 gp=0xc000002380 m=0 mp=0x5f3f60 [running]:           (GOTRACEBACK=system, Go 1.23+)
// goroutine 7 [chan receive (durable), synctest bubble 1]:          (Go 1.25+)
// goroutine 9 [select (leaked)]:                                    (Go 1.26 goroutine leak profile)
// goroutine 5 [select, 2 minutes] labels:{"route": "/transfer"}:   (Go 1.27+, tracebacklabels)
const HEADER = /^goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\]]*)\](.*):$/;
const MAX_PREAMBLE_LINES = 8;

const enum Section {
  None,
  Own,
  Ancestor,
}

export class TracebackReader {
  readonly groups = new GroupBuilder();
  private section = Section.None;
  private readonly preamble: string[] = [];
  private sawGoroutine = false;

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
    if (c === 103 /* g */ && text.startsWith('goroutine ')) {
      const m = HEADER.exec(text);
      if (m) {
        this.flush();
        this.begin(m[2]!, m[3]!);
        return;
      }
    }
    if (this.section === Section.None) {
      if (!this.sawGoroutine && text.length > 0 && this.preamble.length < MAX_PREAMBLE_LINES) this.preamble.push(text.slice(0, 500));
      return;
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
    if (text.charCodeAt(text.length - 1) !== 41 /* ) */) return; // register dumps, "exit status 2", noise
    const paren = text.lastIndexOf('(');
    if (paren <= 0) return;
    const fn = text.slice(0, paren);
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
    this.section = Section.Own;
    this.sawGoroutine = true;
    this.fns = [];
    this.locs = [];
    this.ancestryFns = [];
    this.ancestryLocs = [];
    this.creator = '';
    this.creatorLoc = '';
    this.wait = null;
    this.locked = false;
    this.awaitingLocation = false;
    this.pendingTarget = 'skip';
    const parts = bracket.split(', ');
    let state = parts[0] ?? '';
    // Transient markers that say nothing about why the goroutine waits.
    if (state.includes(' (scan)')) state = state.replace(' (scan)', '');
    if (state.includes(' (durable)')) state = state.replace(' (durable)', '');
    this.state = state;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.endsWith(' minutes')) {
        const n = Number(p.slice(0, -8));
        if (Number.isFinite(n)) this.wait = n;
      } else if (p === 'locked to thread') {
        this.locked = true;
      }
      // "synctest bubble N" / "synctest group N": test-only, no bearing on leaks.
    }
    if (suffix.includes('{')) {
      this.labels = parseLabelText(suffix);
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
    if (fns.length === 0 && this.creator === '') return;
    const key = stackKey(fns, this.ancestryFns, this.labelsKey);
    this.groups.add(key, 1, this.state, this.wait, this.locked, () => this.shape());
  }

  private shape(): GroupShape {
    const frames: Frame[] = this.fns.map((fn, i) => parseLocation(this.locs[i]!, fn));
    const ancestry: Frame[] = this.ancestryFns.map((fn, i) => parseLocation(this.ancestryLocs[i]!, fn));
    return {
      frames,
      createdBy: this.creator ? parseLocation(this.creatorLoc, this.creator) : null,
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
