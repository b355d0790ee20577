// Text helpers for Slack's mrkdwn: escaping, clipping within Block Kit limits without cutting an
// entity or a surrogate pair in half, and scrubbing anything that looks like a credential before
// it can leave the bot. Pure.

import { redact } from '../../redact/index.ts';

/** Block Kit limits (https://docs.slack.dev/reference/block-kit). Kept in one place so tests check against the same numbers. */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** The top-level `text` fallback (notifications, screen readers); Slack truncates at 40k, we stay far below. */
  fallbackText: 3000,
} as const;

/** Escapes the three characters Slack gives meaning to in mrkdwn and plain text. */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code: escaped, backticks replaced (they would end the span), one line. */
export function code(s: string): string {
  const inner = escapeText(s.replace(/`/g, "'").replace(/\s*\n\s*/g, ' '));
  return `\`${inner || ' '}\``;
}

/** Bold that cannot be broken by `*` in the data. */
export function bold(s: string): string {
  return `*${escapeText(s.replace(/\*/g, '∗'))}*`;
}

/**
 * At most `max` UTF-16 units, ending in `…` when cut. Never ends inside an `&…;` entity, a
 * `<…>` link/mention, or a surrogate pair, so the result is always valid mrkdwn.
 */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = cleanCut(s, Math.max(0, max - 1));
  // An unbalanced code fence would swallow the rest of the message: close it.
  if ((cut.match(/```/g)?.length ?? 0) % 2 === 1) return `${cleanCut(s, Math.max(0, max - 5))}…\n\`\`\``;
  return `${cut}…`;
}

function cleanCut(s: string, end: number): string {
  const c = s.charCodeAt(end - 1);
  if (end > 0 && c >= 0xd800 && c <= 0xdbff) end -= 1;
  let cut = s.slice(0, end);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && cut.indexOf(';', amp) === -1 && cut.length - amp <= 8) cut = cut.slice(0, amp);
  const lt = cut.lastIndexOf('<');
  if (lt !== -1 && cut.indexOf('>', lt) === -1) cut = cut.slice(0, lt);
  return cut;
}

/**
 * Joins lines while they fit in `max`, then ends with `more(n)` for the n lines left out
 * ("+3 more"); `omitted` counts lines the caller already dropped. A first line longer than the
 * budget is clipped.
 */
export function fitLines(lines: readonly string[], max: number, more: (n: number) => string = (n) => `+${n} more`, omitted = 0): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sep = out.length ? 1 : 0;
    const leftAfter = lines.length - i - 1 + omitted;
    const tail = leftAfter > 0 ? more(leftAfter).length + 1 : 0;
    if (used + sep + line.length + tail <= max) {
      out.push(line);
      used += sep + line.length;
      continue;
    }
    if (out.length === 0) {
      const room = max - (leftAfter > 0 ? more(leftAfter).length + 1 : 0);
      out.push(clip(line, Math.max(1, room)));
      if (leftAfter > 0) out.push(more(leftAfter));
      return out.join('\n');
    }
    out.push(more(lines.length - i + omitted));
    return out.join('\n');
  }
  if (omitted > 0) out.push(more(omitted));
  return out.join('\n');
}

/** A code block (monospace) of lines within `max`, with "+N more" inside the fence. */
export function codeBlock(lines: readonly string[], max: number, more?: (n: number) => string): string {
  const safe = lines.map((l) => escapeText(l.replace(/```/g, "'''")));
  return '```\n' + fitLines(safe, max - 8, more) + '\n```';
}

/** Text from a Report, a catalog or an error: redacted (lib/redact), then escaped. */
export function safe(s: string): string {
  return escapeText(redact(s));
}

/** `<!date^…>`: each reader sees the time in their own time zone; the fallback is UTC. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeText(iso);
  const fallback = new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  return `<!date^${Math.floor(ms / 1000)}^${format}|${fallback}>`;
}

/** A Slack user id as a mention; anything that is not an id is shown as escaped text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeText(userId);
}

/** A channel id as a link; a `#name` from the catalog as text. */
export function channelMention(channel: string): string {
  return /^[CG][A-Z0-9]{2,}$/.test(channel) ? `<#${channel}>` : escapeText(channel);
}

export function usergroupMention(groupId: string): string {
  return /^S[A-Z0-9]{2,}$/.test(groupId) ? `<!subteam^${groupId}>` : escapeText(groupId);
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
