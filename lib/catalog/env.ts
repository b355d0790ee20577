// Environment overrides, applied to the raw file before validation so a bad value is reported
// like any other, naming the variable that set it. Only operational knobs live here; who may
// approve a restart and what may be fetched stay in the reviewed catalog file.
import { formatPath } from '../alerts/index.ts';
import type { Env } from './model.ts';

interface Override {
  env: string;
  path: readonly string[];
  type: 'string' | 'number';
  /** Only fill the setting when the file leaves it out (for variables the platform always sets). */
  fallbackOnly?: boolean;
}

export const ENV_OVERRIDES: readonly Override[] = [
  { env: 'LEAKHOUND_DEFAULT_CHANNEL', path: ['defaults', 'slackChannel'], type: 'string' },
  { env: 'LEAKHOUND_DEADLINE_SECONDS', path: ['defaults', 'deadlineSeconds'], type: 'number' },
  { env: 'LEAKHOUND_DUMP_CONCURRENCY', path: ['defaults', 'dumps', 'concurrency'], type: 'number' },
  { env: 'LEAKHOUND_DUMP_TIMEOUT_SECONDS', path: ['defaults', 'dumps', 'timeoutSeconds'], type: 'number' },
  // A byte size may be written "16MiB"; the schema parses it.
  { env: 'LEAKHOUND_DUMP_MAX_BYTES', path: ['defaults', 'dumps', 'maxBytes'], type: 'string' },
  { env: 'LEAKHOUND_AWS_REGION', path: ['defaults', 'region'], type: 'string' },
  // Lambda always sets AWS_REGION; it must not beat a region chosen in the file.
  { env: 'AWS_REGION', path: ['defaults', 'region'], type: 'string', fallbackOnly: true },
];

export interface OverrideResult {
  value: unknown;
  /** Field path (`defaults.slackChannel`) → the variable that set it, for error messages. */
  applied: Map<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function envOverrides(raw: unknown, env: Env): OverrideResult {
  const applied = new Map<string, string>();
  if (!isObj(raw)) return { value: raw, applied };
  const root = structuredClone(raw);
  for (const override of ENV_OVERRIDES) {
    const text = env[override.env]?.trim();
    if (text === undefined || text === '') continue;
    const parent = ensurePath(root, override.path.slice(0, -1));
    if (parent === null) continue; // a non-object in the file; the schema reports it there
    const key = override.path[override.path.length - 1]!;
    if (override.fallbackOnly && parent[key] !== undefined) continue;
    // A non-numeric value stays a string so the schema reports it against the variable.
    parent[key] = override.type === 'number' && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    applied.set(formatPath(override.path), override.env);
  }
  return { value: root, applied };
}

function ensurePath(root: Obj, path: readonly string[]): Obj | null {
  let node: Obj = root;
  for (const key of path) {
    const next = node[key];
    if (next === undefined || next === null) {
      const created: Obj = {};
      node[key] = created;
      node = created;
    } else if (isObj(next)) node = next;
    else return null;
  }
  return node;
}
