// Reader for `/debug/pprof/goroutine?debug=1`: identical stacks already aggregated.
//
//   goroutine profile: total 57
//   3 @ 0x43a5d6 0x4b5e3a 0x46e2c1
//   # labels: {"method":"POST", "route":"/transfer"}
//   #	0x4b5e39	database/sql.(*Tx).awaitDone+0x99	/usr/lib/go/src/database/sql/sql.go:2193
import { inferState, isHiddenRuntimeFrame } from './functions.ts';
import { GroupBuilder, parseLocation, stackKey, type GroupShape } from './grouping.ts';
import { labelKey, parseLabelText, type Labels } from './labels.ts';
import { utf8FromLatin1, type LineReader } from './text.ts';

const RECORD = /^(\d+) @(?: 0x[0-9a-fA-F]+)*\s*$/;
const TOTAL = /^goroutine(leak)? profile: total (\d+)/;
// "#\t0xPC\tfunc+0xOFF\tfile:line": the runtime's tabwriter pads columns with several tabs, and
// pastes turn tabs into spaces. The location is the rest of the line (paths may hold spaces).
// Pasted without a code fence, the `#` column can be gone: `        0x822124\tnet/http.…`.
const FRAME = /^#?[ \t]*0x[0-9a-fA-F]+[ \t]+(\S+?)(?:\+0x[0-9a-fA-F]+)?(?:[ \t]+(.*?))?\s*$/;

export class Debug1Reader implements LineReader {
  readonly groups = new GroupBuilder();
  declaredTotal: number | null = null;
  /** `goroutineleak profile:` (Go 1.26+ leak profile): every goroutine in it was proved leaked. */
  leakProfile = false;
  private count = 0;
  private inRecord = false;
  private rawFns: string[] = [];
  private fns: string[] = [];
  private locs: string[] = [];
  private labels: Labels = {};
  private labelsKey = '';

  line(text: string): void {
    const c = text.charCodeAt(0);
    if (c === 32 || c === 9) {
      this.line(text.trimStart());
      return;
    }
    if (c === 35 /* # */ || (c === 48 /* 0 */ && text.charCodeAt(1) === 120 /* x */)) {
      if (!this.inRecord) return;
      if (text.startsWith('# labels:')) {
        this.labels = parseLabelText(utf8FromLatin1(text.slice(9)));
        this.labelsKey = labelKey(this.labels);
      } else this.frame(text);
      return;
    }
    if (text.length === 0) {
      this.flush();
      return;
    }
    const m = RECORD.exec(text);
    if (m) {
      this.flush();
      this.inRecord = true;
      this.count = Number(m[1]);
      return;
    }
    const t = TOTAL.exec(text);
    if (t) {
      this.declaredTotal = Number(t[2]);
      this.leakProfile = t[1] !== undefined;
    }
  }

  private frame(text: string): void {
    const m = FRAME.exec(text);
    if (!m) return;
    const fn = m[1]!;
    this.rawFns.push(fn);
    if (isHiddenRuntimeFrame(fn)) return;
    this.fns.push(fn);
    this.locs.push(m[2] ?? '');
  }

  private flush(): void {
    if (!this.inRecord) return;
    this.inRecord = false;
    // A record without frames (`1 @ 0x0`) is still a goroutine of the total.
    const key = stackKey(this.fns.length || this.rawFns.length ? this.fns : ['(no stack)'], [], this.labelsKey);
    const fns = this.fns;
    const locs = this.locs;
    const labels = this.labels;
    const shape = (): GroupShape => ({
      frames: fns.map((fn, i) => parseLocation(utf8FromLatin1(locs[i]!), utf8FromLatin1(fn))),
      createdBy: null,
      ancestry: [],
      labels,
    });
    const state = inferState(this.rawFns);
    this.groups.add(key, this.count, this.leakProfile ? `${state} (leaked)` : state, null, false, shape);
    this.rawFns = [];
    this.fns = [];
    this.locs = [];
    this.labels = {};
    this.labelsKey = '';
  }

  end(): void {
    this.flush();
  }
}
