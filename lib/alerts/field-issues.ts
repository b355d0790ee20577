// Turn zod issues into `path: problem` lines that name the field. Shared by every boundary
// (alerts, catalog) so errors read the same everywhere. Input values are never echoed: a
// catalog field may hold a connection string.
import type { z } from 'zod';
import type { FieldIssue } from './model.ts';

/** `['services', 2, 'restart']` → `services[2].restart`, appended to `prefix`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      const plain = /^[A-Za-z_$][\w$-]*$/.test(key);
      if (!plain) out += `[${JSON.stringify(key)}]`;
      else out += out === '' ? key : `.${key}`;
    }
  }
  return out === '' ? '(root)' : out;
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

// zod's own messages start like this; anything else was written by a schema and is kept.
const DEFAULT_MESSAGE = /^(Invalid|Unrecognized|Too (small|big))\b/;

function issueMessage(issue: z.core.$ZodIssue): string {
  if (!DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const hasInput = 'input' in issue;
      const input = (issue as { input?: unknown }).input;
      if (hasInput && input === undefined) return `required (expected ${issue.expected})`;
      return hasInput ? `expected ${issue.expected}, got ${describeInput(input)}` : `expected ${issue.expected}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_union': {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const sub of branch) if (sub.code === 'invalid_type' && sub.path.length === 0) expected.add(sub.expected);
      }
      if (expected.size > 0) return `expected ${[...expected].join(' or ')}`;
      return issue.message;
    }
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `expected at least ${String(issue.minimum)} characters`;
      return `expected ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `expected at most ${String(issue.maximum)} characters`;
      return `expected ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

export function formatZodIssue(issue: z.core.$ZodIssue, prefix = ''): FieldIssue {
  // Unknown keys are reported at their own path, so a typo is found where it was made.
  if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) {
    return { path: formatPath([...issue.path, issue.keys[0]!], prefix), message: 'unknown key' };
  }
  return { path: formatPath(issue.path, prefix), message: issueMessage(issue) };
}

export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => formatZodIssue(issue, prefix));
}

export function issuesToText(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
