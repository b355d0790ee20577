// Read the catalog file (YAML or JSON, which is YAML too), apply environment overrides,
// validate, and normalise. Every problem names the file, line, field path and what is wrong.
import { readFile, stat } from 'node:fs/promises';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { formatPath, formatZodIssue } from '../alerts/index.ts';
import { envOverrides } from './env.ts';
import { buildCatalog } from './normalise.ts';
import { catalogFileSchema } from './schema.ts';
import { CatalogError, type CatalogIssue, type CatalogResult, type Env } from './model.ts';
import { errorMessage } from '../errors/index.ts';

/** A catalog is a page of configuration; anything much bigger is a mistake (or an attack). */
const MAX_CATALOG_BYTES = 1024 * 1024;
/** YAML aliases can expand exponentially; the file needs few if any. */
const MAX_ALIAS_COUNT = 100;

export interface ParseCatalogOptions {
  /** Apply `LEAKHOUND_*` overrides from this environment (see `env.ts`). */
  env?: Env;
}

/** Validate catalog text. Never throws: an invalid catalog is `{ ok: false, error }`. */
export function parseCatalog(text: string, filename: string, options: ParseCatalogOptions = {}): CatalogResult {
  try {
    return parseUnsafe(text, filename, options);
  } catch (err) {
    const message = errorMessage(err);
    return failure(filename, [{ path: '(root)', message: `could not read catalog: ${message}`, line: null }]);
  }
}

function parseUnsafe(text: string, filename: string, options: ParseCatalogOptions): CatalogResult {
  if (typeof text !== 'string') return failure(filename, [{ path: '(root)', message: 'expected text', line: null }]);
  if (text.length > MAX_CATALOG_BYTES) {
    return failure(filename, [{ path: '(root)', message: `file is larger than ${MAX_CATALOG_BYTES} bytes`, line: null }]);
  }
  const lineCounter = new LineCounter();
  // logLevel 'error': the yaml package prints its warnings (with the offending key) to stderr;
  // whatever matters comes back as an issue instead.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    return failure(
      filename,
      doc.errors.map((e) => ({
        path: '(syntax)',
        message: (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, ''),
        line: e.linePos?.[0]?.line ?? null,
      })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return failure(filename, [{ path: '(root)', message: errorMessage(err), line: null }]);
  }
  if (raw === null || raw === undefined) return failure(filename, [{ path: '(root)', message: 'the file is empty', line: null }]);

  const overrides = options.env ? envOverrides(raw, options.env) : { value: raw, applied: new Map<string, string>() };

  const parsed = catalogFileSchema.safeParse(overrides.value, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): CatalogIssue => {
      const formatted = formatZodIssue(issue);
      const fromEnv = overrides.applied.get(formatPath(issue.path));
      return {
        path: formatted.path,
        message: fromEnv ? `${formatted.message} (set by environment variable ${fromEnv})` : formatted.message,
        line: fromEnv ? null : lineOf(doc, lineCounter, issue.path),
      };
    });
    return failure(filename, issues);
  }
  return { ok: true, catalog: buildCatalog(parsed.data, filename) };
}

/** The line of the deepest node on `path` that exists in the YAML document. */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | null {
  for (let len = path.length; len >= 0; len--) {
    const prefix = path.slice(0, len).map((p) => (typeof p === 'symbol' ? String(p) : p));
    const node = len === 0 ? doc.contents : doc.getIn(prefix, true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return null;
}

/**
 * Load the catalog from `path`, or from `$LEAKHOUND_CONFIG` when no path is given, applying
 * the environment's `LEAKHOUND_*` overrides.
 */
export async function loadCatalog(path?: string, env: Env = process.env): Promise<CatalogResult> {
  const file = path ?? env['LEAKHOUND_CONFIG'];
  if (file === undefined || file === '') {
    return failure('(catalog)', [{ path: '(root)', message: 'no catalog file: pass a path or set LEAKHOUND_CONFIG', line: null }]);
  }
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) return failure(file, [{ path: '(root)', message: 'not a regular file', line: null }]);
    if (info.size > MAX_CATALOG_BYTES) {
      return failure(file, [{ path: '(root)', message: `file is larger than ${MAX_CATALOG_BYTES} bytes`, line: null }]);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found' : errorMessage(err);
    return failure(file, [{ path: '(root)', message, line: null }]);
  }
  return parseCatalog(text, file, { env });
}

function failure(file: string, issues: CatalogIssue[]): CatalogResult {
  return { ok: false, error: new CatalogError(file, issues) };
}
