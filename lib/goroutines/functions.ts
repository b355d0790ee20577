// What a Go function name tells us: its package, whether it is the application's own code,
// and whether the runtime would hide it in a default traceback.

// Top-level directories of the Go standard library (GOROOT/src). A package whose first path
// element is one of these is standard library; anything else without a dot (`main`, GOPATH
// packages such as `billing/api`) is application code.
const STD_ROOTS = new Set([
  'archive', 'bufio', 'builtin', 'bytes', 'cmp', 'compress', 'container', 'context', 'crypto',
  'database', 'debug', 'embed', 'encoding', 'errors', 'expvar', 'flag', 'fmt', 'go', 'hash',
  'html', 'image', 'index', 'internal', 'io', 'iter', 'log', 'maps', 'math', 'mime', 'net', 'os',
  'path', 'plugin', 'reflect', 'regexp', 'runtime', 'slices', 'sort', 'strconv', 'strings',
  'structs', 'sync', 'syscall', 'testing', 'text', 'time', 'unicode', 'unique', 'unsafe', 'vendor',
  'weak',
]);

// Libraries that sit between the application and the database or the network: their frames are
// never the culprit, the application code that called them is.
const LIBRARY_PREFIXES = [
  'golang.org/x/',
  'google.golang.org/',
  'go.opentelemetry.io/',
  'github.com/jmoiron/sqlx',
  'gorm.io/',
  'github.com/jinzhu/gorm',
  'github.com/lib/pq',
  'github.com/jackc/',
  'github.com/go-sql-driver/mysql',
  'github.com/uptrace/bun',
  'entgo.io/ent',
  'github.com/Masterminds/squirrel',
  'github.com/doug-martin/goqu',
  'github.com/XSAM/otelsql',
  'github.com/ngrok/sqlmw',
  'github.com/volatiletech/sqlboiler',
  'github.com/go-chi/chi',
  'github.com/gorilla/',
  'github.com/gin-gonic/gin',
  'github.com/labstack/echo',
  'github.com/gofiber/fiber',
  'github.com/valyala/fasthttp',
  'github.com/julienschmidt/httprouter',
  'github.com/grpc-ecosystem/',
  'github.com/prometheus/client_golang',
  'github.com/DataDog/dd-trace-go',
  'gopkg.in/DataDog/dd-trace-go',
];

/** The import path of the package a function belongs to: `database/sql` for `database/sql.(*Tx).awaitDone`. */
export function packageOf(fn: string): string {
  // Generic instantiations (`[...]`, `[go.shape.int]`) may contain dots and slashes: ignore them.
  const bracket = fn.indexOf('[');
  const name = bracket >= 0 ? fn.slice(0, bracket) : fn;
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  return dot < 0 ? name : name.slice(0, dot);
}

export function isStandardLibrary(pkg: string): boolean {
  const slash = pkg.indexOf('/');
  const root = slash < 0 ? pkg : pkg.slice(0, slash);
  return STD_ROOTS.has(root);
}

export function isKnownLibrary(pkg: string): boolean {
  for (const prefix of LIBRARY_PREFIXES) if (pkg.startsWith(prefix)) return true;
  // Vendored copies keep their import path after `/vendor/`.
  const vendored = pkg.lastIndexOf('/vendor/');
  return vendored >= 0 ? isKnownLibrary(pkg.slice(vendored + 8)) || isStandardLibrary(pkg.slice(vendored + 8)) : false;
}

const canonicalCache = new Map<string, string>();

/**
 * The name a library rule matches: without a vendoring prefix (`…/vendor/github.com/lib/pq` is
 * lib/pq), major-version elements (`pgx/v5/pgconn` is `pgx/pgconn`, `puddle/v2` is `puddle`) and
 * generic instantiations (`(*Pool[...])` is `(*Pool)`).
 */
export function canonicalFunction(fn: string): string {
  let known = canonicalCache.get(fn);
  if (known !== undefined) return known;
  const pkg = packageOf(fn);
  let path = pkg;
  const vendored = path.lastIndexOf('/vendor/');
  if (vendored >= 0) path = path.slice(vendored + 8);
  else if (path.startsWith('vendor/')) path = path.slice(7);
  path = path.replace(/\/v\d+(?=\/|$)/g, '').replace(/^(gopkg\.in\/[^/]+)\.v\d+/, '$1');
  known = path + withoutTypeArguments(fn.slice(pkg.length));
  if (canonicalCache.size > 50_000) canonicalCache.clear();
  canonicalCache.set(fn, known);
  return known;
}

function withoutTypeArguments(s: string): string {
  if (!s.includes('[')) return s;
  let out = '';
  let depth = 0;
  for (const c of s) {
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += c;
  }
  return out;
}

const appCache = new Map<string, boolean>();

/** True for the application's own code: not runtime, standard library or a known DB/HTTP library. */
export function isApplicationFunction(fn: string): boolean {
  let known = appCache.get(fn);
  if (known === undefined) {
    const pkg = packageOf(fn);
    known = pkg !== '' && !isStandardLibrary(pkg) && !isKnownLibrary(pkg);
    if (appCache.size > 50_000) appCache.clear();
    appCache.set(fn, known);
  }
  return known;
}

/**
 * Runtime internals (`runtime.gopark`, `runtime.selectgo`) that a default traceback hides but
 * debug=1 and pprof profiles show. Dropping them makes stacks of every format comparable.
 */
export function isHiddenRuntimeFrame(fn: string): boolean {
  if (!fn.startsWith('runtime.')) return false;
  const c = fn.charCodeAt(8);
  return !(c >= 65 && c <= 90); // exported runtime functions (runtime.Gosched) stay visible
}

// The blocking call at the top of a stack names the wait, as the runtime's own wait reasons do.
// Used for debug=1 and pprof, which carry no goroutine state.
const WAIT_BY_FRAME: Array<[string, string]> = [
  ['runtime.selectgo', 'select'],
  ['runtime.block', 'select (no cases)'],
  ['runtime.chanrecv', 'chan receive'],
  ['runtime.chansend', 'chan send'],
  ['runtime.netpollblock', 'IO wait'],
  ['internal/poll.runtime_pollWait', 'IO wait'],
  ['sync.runtime_SemacquireMutex', 'sync.Mutex.Lock'],
  ['sync.runtime_SemacquireRWMutexR', 'sync.RWMutex.RLock'],
  ['sync.runtime_SemacquireRWMutex', 'sync.RWMutex.Lock'],
  ['sync.runtime_notifyListWait', 'sync.Cond.Wait'],
  ['sync.runtime_Semacquire', 'semacquire'],
  ['sync.runtime_SemacquireWaitGroup', 'sync.WaitGroup.Wait'],
  ['time.Sleep', 'sleep'],
  ['runtime.goparkunlock', 'waiting'],
  ['syscall.Syscall', 'syscall'],
  ['syscall.Syscall6', 'syscall'],
  ['syscall.RawSyscall', 'syscall'],
  ['internal/runtime/syscall.Syscall6', 'syscall'],
  ['os/signal.signal_recv', 'signal wait'],
  ['runtime/pprof.writeGoroutineStacks', 'running'],
  ['runtime/pprof.writeRuntimeProfile', 'running'],
  ['runtime.goroutineProfileWithLabels', 'running'],
  ['runtime.pprof_goroutineProfileWithLabels', 'running'],
];

/** Best guess of the wait reason from the innermost frames of a stack (raw, before hiding runtime frames). */
export function inferState(rawFunctions: readonly string[]): string {
  const depth = Math.min(rawFunctions.length, 6);
  for (let i = 0; i < depth; i++) {
    const fn = rawFunctions[i]!;
    for (const [prefix, state] of WAIT_BY_FRAME) if (fn === prefix) return state;
  }
  return 'unknown';
}
