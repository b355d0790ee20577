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
const TOTAL = /^goroutine profile: total (\d+)/;

export class Debug1Reader implements LineReader {
  readonly groups = new GroupBuilder();
  declaredTotal: number | null = null;
  private count = 0;
  private inRecord = false;
  private rawFns: string[] = [];
  private fns: string[] = [];
  private locs: string[] = [];
  private labels: Labels = {};
  private labelsKey = '';

  line(text: string): void {
    if (text.charCodeAt(0) === 35 /* # */) {
      if (!this.inRecord) return;
      if (text.startsWith('#\t')) this.frame(text);
      else if (text.startsWith('# labels:')) {
        this.labels = parseLabelText(utf8FromLatin1(text.slice(9)));
        this.labelsKey = labelKey(this.labels);
      }
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
    if (t) this.declaredTotal = Number(t[1]);
  }

  private frame(text: string): void {
    // "#\t0xPC\tfunc+0xOFF\tfile:line"
    const a = text.indexOf('\t', 2);
    if (a < 0) return;
    const b = text.indexOf('\t', a + 1);
    const fnWithOffset = b < 0 ? text.slice(a + 1) : text.slice(a + 1, b);
    const plus = fnWithOffset.lastIndexOf('+0x');
    const fn = plus > 0 ? fnWithOffset.slice(0, plus) : fnWithOffset;
    this.rawFns.push(fn);
    if (isHiddenRuntimeFrame(fn)) return;
    this.fns.push(fn);
    this.locs.push(b < 0 ? '' : text.slice(b + 1));
  }

  private flush(): void {
    if (!this.inRecord) return;
    this.inRecord = false;
    if (this.fns.length > 0 || this.rawFns.length > 0) {
      const key = stackKey(this.fns, [], this.labelsKey);
      const fns = this.fns;
      const locs = this.locs;
      const labels = this.labels;
      const shape = (): GroupShape => ({
        frames: fns.map((fn, i) => parseLocation(utf8FromLatin1(locs[i]!), utf8FromLatin1(fn))),
        createdBy: null,
        ancestry: [],
        labels,
      });
      this.groups.add(key, this.count, inferState(this.rawFns), null, false, shape);
    }
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
