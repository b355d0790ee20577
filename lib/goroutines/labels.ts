// pprof labels as Go prints them: `{"route":"/transfer", "method":"POST"}` (debug=1, using %q
// quoting) or `labels:{"k": "v"}` after a traceback header (Go 1.27+, GODEBUG=tracebacklabels=1).

export type Labels = Record<string, string>;

const EMPTY: Labels = Object.freeze({}) as Labels;

/** Parses a `{...}` label set; tolerant of Go %q escapes that JSON rejects. Never throws. */
export function parseLabelText(text: string): Labels {
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open < 0 || close <= open) return EMPTY;
  const body = text.slice(open, close + 1);
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const out: Labels = {};
      for (const [k, v] of Object.entries(parsed)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return out;
    }
  } catch {
    // fall through to the tolerant scanner
  }
  return scanQuotedPairs(body);
}

/** Reads "k":"v" pairs one quoted string at a time; unknown escapes are kept literally. */
function scanQuotedPairs(body: string): Labels {
  const strings: string[] = [];
  let i = 0;
  while (i < body.length) {
    const q = body.indexOf('"', i);
    if (q < 0) break;
    let j = q + 1;
    let out = '';
    while (j < body.length && body[j] !== '"') {
      if (body[j] === '\\' && j + 1 < body.length) {
        const e = body[j + 1]!;
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === '"' || e === '\\' ? e : '\\' + e;
        j += 2;
      } else {
        out += body[j];
        j++;
      }
    }
    strings.push(out);
    i = j + 1;
  }
  const labels: Labels = {};
  for (let k = 0; k + 1 < strings.length; k += 2) labels[strings[k]!] = strings[k + 1]!;
  return labels;
}

/** Order-independent identity of a label set, for grouping. */
export function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  let s = '';
  for (const k of keys) s += `${k}=${labels[k]}\u0001`;
  return s;
}

// Keys that name the request path lead, so `route=/transfer method=POST` reads the same
// whichever format (debug=1 sorts keys, pprof keeps insertion order) the labels came from.
const LEADING_KEYS = ['route', 'handler', 'endpoint', 'path', 'method', 'grpc.server.method'];

export function formatLabels(labels: Labels): string {
  const rank = (k: string) => {
    const i = LEADING_KEYS.indexOf(k);
    return i < 0 ? LEADING_KEYS.length : i;
  };
  return Object.keys(labels)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${labels[k]}`)
    .join(' ');
}
