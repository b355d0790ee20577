// sqlcommenter comments (`/*action='export',route='%2Fledger%2Fexport',traceparent='00-…'*/`, the
// form Google's sqlcommenter, OpenTelemetry and Datadog DBM append to statements): they name the
// route even when no goroutine shows the leak (rows under context.Background()). Only the keys
// that attribute code are kept; trace ids and everything else are dropped, like literals.
import { z } from 'zod';

/** What a statement's comment says about the code that sent it. */
export interface SqlCommentTags {
  route?: string;
  action?: string;
  controller?: string;
}

const KEPT = ['route', 'action', 'controller'] as const;
const MAX_COMMENT = 4096;
// A value as the service wrote it: printable, bounded; anything else is not kept.
const valueSchema = z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]+$/);

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * The tags of one block comment (`/*…*\/`, delimiters included), or null when it is not a
 * sqlcommenter comment: every part must be `key='value'`, comma-separated.
 */
export function parseSqlComment(comment: string): SqlCommentTags | null {
  if (comment.length > MAX_COMMENT || !comment.startsWith('/*') || !comment.endsWith('*/')) return null;
  const body = comment.slice(2, -2).trim();
  if (!body) return null;
  const tags: SqlCommentTags = {};
  // key='value' with \' escapes inside the value; one linear pass.
  const pair = /([^=,'\s]+)='((?:[^'\\]|\\.)*)'\s*(,\s*|$)/y;
  let at = 0;
  while (at < body.length) {
    pair.lastIndex = at;
    const m = pair.exec(body);
    if (!m) return null;
    at = pair.lastIndex;
    const key = decode(m[1]!);
    const value = decode(m[2]!.replace(/\\'/g, "'"));
    if (key === null || value === null) return null;
    const k = KEPT.find((x) => x === key);
    if (k && valueSchema.safeParse(value).success) tags[k] = value;
  }
  return Object.keys(tags).length ? tags : null;
}

/** The tags of the last sqlcommenter comment among a statement's block comments. */
export function tagsOfComments(comments: readonly string[]): SqlCommentTags | null {
  for (let i = comments.length - 1; i >= 0; i--) {
    const tags = parseSqlComment(comments[i]!);
    if (tags) return tags;
  }
  return null;
}

/** `route='/ledger/export' action='export'`, for evidence lines. */
export function describeTags(tags: SqlCommentTags): string {
  return KEPT.filter((k) => tags[k] !== undefined).map((k) => `${k}='${tags[k]}'`).join(' ');
}
