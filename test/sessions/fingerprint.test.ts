// The fingerprinter: examples per dialect, and properties — it never throws, no literal of the
// input survives, and its time grows linearly whatever the input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedFingerprinter, fingerprint, type SqlDialect } from '../../lib/sessions/fingerprint.ts';

describe('fingerprint examples', () => {
  const pg = (sql: string) => fingerprint(sql, { dialect: 'postgres' });
  const my = (sql: string) => fingerprint(sql, { dialect: 'mysql' });

  it.each([
    ["SELECT * FROM users WHERE email = 'a@b.c' AND id = 42", 'SELECT * FROM users WHERE email = ? AND id = ?'],
    ['SELECT * FROM t WHERE id IN (1, 2, 3) AND x IN ($1,$2)', 'SELECT * FROM t WHERE id IN (?) AND x IN (?)'],
    ['select id=1,f(2.5e-3),.5,0x1F,1_000 from t', 'select id=?,f(?),?,?,? from t'],
    ["SELECT $$it's$$, $fn$ body $ x $fn$, E'a\\'b', 'x''y', U&'d\\0061t', B'0101', X'ff'", 'SELECT ?, ?, ?, ?, ?, ?, ?'],
    ['SELECT 1 /* outer /* nested */ still comment */ + 2 -- tail 99\n FROM t', 'SELECT ? + ? FROM t'],
    ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, NULL), (3, DEFAULT) RETURNING id", 'INSERT INTO t (a, b) VALUES (?, ?), ... RETURNING id'],
    ["SELECT ARRAY[1, 2, 3], a = ANY('{1,2}') FROM \"Weird Table\"", 'SELECT ARRAY[?], a = ANY(?) FROM "Weird Table"'],
    ['SELECT id FROM t WHERE a IN (SELECT b FROM u WHERE c = 7)', 'SELECT id FROM t WHERE a IN (SELECT b FROM u WHERE c = ?)'],
    ['SELECT  a,\n\t b   FROM   t', 'SELECT a, b FROM t'],
    ["SELECT 'unterminated secret", 'SELECT ?'],
    ['SELECT $tag$ never closed 123', 'SELECT ?'],
    ['/* only a comment 123 */', null],
    ['', null],
  ])('postgres: %s', (sql, want) => {
    expect(pg(sql)).toBe(want);
  });

  it.each([
    ["SELECT * FROM `users` WHERE email = \"a@b.c\" AND name = 'it\\'s' AND id = 42", 'SELECT * FROM `users` WHERE email = ? AND name = ? AND id = ?'],
    ["SELECT 1 # comment 55\n, 2 -- comment 66\n, 3--4", 'SELECT ? , ? , ?--?'],
    ["SELECT _utf8mb4'abc', N'x', x'0F', b'01', 0b01", 'SELECT _utf8mb4?, ?, ?, ?, ?'],
    ['UPDATE t SET a = a + 1 WHERE id IN (1,2)', 'UPDATE t SET a = a + ? WHERE id IN (?)'],
    ["SELECT /*+ MAX_EXECUTION_TIME(1000) */ 'a\\\\' , 'b'", 'SELECT ? , ?'],
  ])('mysql: %s', (sql, want) => {
    expect(my(sql)).toBe(want);
  });

  it('lexes strings as the server does: a backslash escapes in MySQL, not in standard PostgreSQL strings', () => {
    expect(pg("SELECT 'a\\', 'secret'")).toBe('SELECT ?, ?');
    expect(my("SELECT 'it\\'s', 'secret'")).toBe('SELECT ?, ?');
    expect(my('SELECT "double quoted secret"')).toBe('SELECT ?');
    expect(pg('SELECT "quoted identifier"')).toBe('SELECT "quoted identifier"');
  });

  it('cuts long fingerprints at a token and marks the cut', () => {
    const fp = fingerprint(`SELECT ${Array.from({ length: 500 }, (_, i) => `col_${'abc'[i % 3]}`).join(', ')} FROM t`, { maxLength: 100 })!;
    expect(fp.length).toBeLessThanOrEqual(101);
    expect(fp.endsWith('…')).toBe(true);
  });

  it('caches per text', () => {
    const fp = cachedFingerprinter();
    expect(fp("SELECT 'x'")).toBe('SELECT ?');
    expect(fp("SELECT 'x'")).toBe('SELECT ?');
    expect(fp(null)).toBeNull();
    expect(fp('')).toBeNull();
  });
});

// ---- properties -------------------------------------------------------------------------------

const dialects: SqlDialect[] = ['postgres', 'mysql'];

// Every character of literal content is followed by a sentinel that no non-literal token uses,
// so any leaked piece of two or more characters shows up as a sentinel in the output.
const SENTINEL = '§';
const content = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => [...s].map((c) => c + SENTINEL).join('') + SENTINEL);

const words = fc.constantFrom('SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'IN', 'VALUES', 'INSERT', 'INTO', 'UPDATE', 'SET', 'ARRAY', 'users', 'email', 'id', 'x_y', 'NULL');
const punct = fc.constantFrom('(', ')', ',', '=', '<>', '*', '.', ';', '+', '[', ']', '?', ':');
const numbers = fc.oneof(
  fc.nat().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 }).map(String),
  fc.nat().map((n) => `0x${n.toString(16)}`),
  fc.nat().map((n) => `.${n}`),
  fc.nat().map((n) => `${n}e-${n % 30}`),
  fc.nat().map((n) => `1_${String(n).padStart(3, '0')}`),
);

function stringLiteral(dialect: SqlDialect) {
  if (dialect === 'postgres') {
    return fc.oneof(
      content.map((c) => `'${c.replaceAll("'", "''")}'`),
      content.map((c) => `E'${c.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`),
      content.map((c) => `$$${c}$$`),
      content.map((c) => `$tag_1$${c}$tag_1$`),
      fc.nat({ max: 99 }).map((n) => `$${n + 1}`),
    );
  }
  return fc.oneof(
    content.map((c) => `'${c.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`),
    content.map((c) => `'${c.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`),
    content.map((c) => `"${c.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`),
  );
}

function comment(dialect: SqlDialect) {
  const noNewline = content.map((c) => c.replaceAll('\n', ' ').replaceAll('\r', ' '));
  const block = content.map((c) => `/*${c.replaceAll('*/', '* /').replaceAll('/*', '/ *')}*/`);
  return dialect === 'postgres'
    ? fc.oneof(block, noNewline.map((c) => `--${c}\n`))
    : fc.oneof(block, noNewline.map((c) => `-- ${c}\n`), noNewline.map((c) => `#${c}\n`));
}

function query(dialect: SqlDialect) {
  const ident = dialect === 'postgres' ? fc.constantFrom('"Weird Name"', '"a""b"') : fc.constantFrom('`weird name`', '`a``b`');
  const token = fc.oneof(
    { arbitrary: words, weight: 4 },
    { arbitrary: punct, weight: 3 },
    { arbitrary: ident, weight: 1 },
    { arbitrary: numbers, weight: 2 },
    { arbitrary: stringLiteral(dialect), weight: 3 },
    { arbitrary: comment(dialect), weight: 1 },
  );
  const sep = fc.constantFrom(' ', '\n', '\t', '  ');
  return fc.array(fc.tuple(token, sep), { maxLength: 40 }).map((parts) => parts.map(([t, s]) => t + s).join(''));
}

describe('fingerprint properties', () => {
  it.each(dialects)('%s: never throws on any input, and stays within its length bound', (dialect) => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom("'", '"', '$', '\\', '-', '/', '*', '#', '(', ')', 'a', '1', ' ', '\n', 'E', '`', '&', 'U'), maxLength: 300 })), (sql) => {
        const fp = fingerprint(sql, { dialect, maxLength: 200 });
        expect(fp === null || (typeof fp === 'string' && fp.length <= 201)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it.each(dialects)('%s: no digit and no quoted literal of the input survives', (dialect) => {
    fc.assert(
      fc.property(query(dialect), (sql) => {
        const fp = fingerprint(sql, { dialect, maxLength: 100_000 }) ?? '';
        expect(fp).not.toMatch(/[0-9]/);
        expect(fp).not.toContain(SENTINEL);
      }),
      { numRuns: 400 },
    );
  });

  it('takes linear time, even on inputs built to make scanners backtrack', () => {
    const run = (sql: string) => {
      fingerprint(sql, { maxLength: 1_000_000 });
      fingerprint(sql, { dialect: 'mysql', maxLength: 1_000_000 });
    };
    const patterns: Record<string, (n: number) => string> = {
      quotes: (n) => "'".repeat(n),
      backslashes: (n) => "E'" + '\\'.repeat(n),
      nestedComments: (n) => '/*'.repeat(n / 2),
      dollarTags: (n) => '$a'.repeat(n / 2),
      dollarQuotes: (n) => '$a$'.repeat(n / 3),
      unclosedInLists: (n) => 'IN (1, '.repeat(n / 7),
      valuesRows: (n) => 'VALUES ' + '(1, 2), '.repeat(n / 8),
      digitsAndDots: (n) => '1.'.repeat(n / 2),
      identifiers: (n) => 'a'.repeat(n),
    };
    // CPU time, not wall time: on a shared machine a long run is more likely to be preempted,
    // which would make any wall-clock ratio look superlinear.
    const cpuMs = (f: () => void) => {
      const t0 = process.cpuUsage();
      f();
      const d = process.cpuUsage(t0);
      return (d.user + d.system) / 1000;
    };
    const best = (sql: string, times: number) => {
      let t = Infinity;
      for (let i = 0; i < times; i++) t = Math.min(t, cpuMs(() => run(sql)));
      return t;
    };
    for (const [name, make] of Object.entries(patterns)) {
      // Grow the input until one run takes a measurable time (timer noise dominates below).
      let n = 8_400;
      while (n < 2_000_000 && best(make(n), 2) < 3) n *= 2;
      const small = make(n);
      const large = make(n * 8);
      // Interleaved, best of 7.
      let tSmall = Infinity;
      let tLarge = Infinity;
      for (let i = 0; i < 7; i++) {
        tSmall = Math.min(tSmall, cpuMs(() => run(small)));
        tLarge = Math.min(tLarge, cpuMs(() => run(large)));
      }
      // 8× the input: linear costs ~8×, quadratic ~64×. The bound leaves room for a loaded
      // machine (a garbage collection landing in one best-of-7 run gave 10× at 4× the input).
      expect(tLarge / tSmall, name).toBeLessThan(32);
      expect(tLarge, name).toBeLessThan(1_000);
    }
  });
});
