// The message shape every renderer returns and every sink sends, plus small Block Kit builders
// that clip each field to its limit so no renderer can produce a message Slack would reject.
import type { types } from '@slack/bolt';
import { LIMITS, clip, escapeText } from './mrkdwn.ts';

export type KnownBlock = types.KnownBlock;
export type Button = types.Button;
export type MessageMetadata = types.MessageMetadata;

export interface SlackMessage {
  /** Notification and screen-reader fallback; also what the console sink prints first. */
  text: string;
  blocks: KnownBlock[];
  metadata?: MessageMetadata;
}

/** Metadata event type of every incident message; the payload carries the incident id. */
export const INCIDENT_EVENT_TYPE = 'leakhound_incident';

export function incidentMetadata(incidentId: string, extra: Record<string, string | number | boolean> = {}): MessageMetadata {
  return { event_type: INCIDENT_EVENT_TYPE, event_payload: { incident_id: incidentId, ...extra } };
}

export function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: clip(text, LIMITS.headerText) || ' ', emoji: true } };
}

export function section(mrkdwn: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, LIMITS.sectionText) || ' ' } };
}

/** Two-column label/value pairs (at most 10; more are dropped: callers put the rest elsewhere). */
export function fields(items: readonly string[], text?: string): KnownBlock {
  const block: types.SectionBlock = {
    type: 'section',
    fields: items.slice(0, LIMITS.sectionFields).map((f) => ({ type: 'mrkdwn', text: clip(f, LIMITS.fieldText) || ' ' })),
  };
  if (text) block.text = { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) };
  return block;
}

export function context(...items: string[]): KnownBlock {
  const present = items.filter((s) => s.length > 0);
  return {
    type: 'context',
    elements: (present.length ? present : [' ']).slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: clip(t, LIMITS.contextText) })),
  };
}

export const divider = (): KnownBlock => ({ type: 'divider' });

export interface ButtonSpec {
  actionId: string;
  text: string;
  /** Only ids: whoever handles the click re-reads everything else from the store. */
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(spec: ButtonSpec): Button {
  if (spec.value.length > LIMITS.buttonValue) throw new RangeError(`button value over ${LIMITS.buttonValue} characters (it must carry ids only)`);
  const b: Button = {
    type: 'button',
    action_id: spec.actionId.slice(0, LIMITS.actionId),
    text: { type: 'plain_text', text: clip(spec.text, LIMITS.buttonText), emoji: true },
    value: spec.value,
  };
  if (spec.style) b.style = spec.style;
  if (spec.confirm) {
    b.confirm = {
      title: { type: 'plain_text', text: clip(spec.confirm.title, LIMITS.confirmTitle) },
      text: { type: 'mrkdwn', text: clip(spec.confirm.text, LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: clip(spec.confirm.confirm, LIMITS.confirmButton) },
      deny: { type: 'plain_text', text: clip(spec.confirm.deny, LIMITS.confirmButton) },
      ...(spec.style === 'danger' ? { style: 'danger' as const } : {}),
    };
  }
  return b;
}

export function actions(blockId: string, buttons: readonly Button[]): KnownBlock {
  return { type: 'actions', block_id: blockId, elements: buttons.slice(0, LIMITS.actionsElements) };
}

/**
 * At most 50 blocks. When there are more, the middle is cut and a context line says how many
 * blocks were left out; the last `actions` block (the buttons) always survives.
 */
export function fitBlocks(blocks: readonly KnownBlock[], max: number = LIMITS.blocksPerMessage): KnownBlock[] {
  if (blocks.length <= max) return [...blocks];
  const lastActions = findLastIndex(blocks, (b) => b.type === 'actions');
  const tail = lastActions === -1 ? [] : [blocks[lastActions]!];
  const rest = blocks.filter((_, i) => i !== lastActions);
  const keep = max - 1 - tail.length;
  const dropped = rest.length - keep;
  return [...rest.slice(0, keep), context(`+${dropped} more sections not shown (Slack shows at most ${max} blocks)`), ...tail];
}

function findLastIndex<T>(xs: readonly T[], p: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return i;
  return -1;
}

/** A message from blocks, with a fallback text clipped to its limit. */
export function message(text: string, blocks: readonly KnownBlock[], metadata?: MessageMetadata): SlackMessage {
  const m: SlackMessage = { text: clip(text, LIMITS.fallbackText), blocks: fitBlocks(blocks) };
  if (metadata) m.metadata = metadata;
  return m;
}

/** A one-section message (ephemeral answers, thread notes). */
export function plainMessage(mrkdwn: string, metadata?: MessageMetadata): SlackMessage {
  return message(mrkdwnToPlain(mrkdwn), [section(mrkdwn)], metadata);
}

/**
 * Plain-ish text of mrkdwn for the fallback `text`. Entities stay escaped: Slack parses this field
 * too, and an unescaped `<!channel>` from the data would ping everyone.
 */
export function mrkdwnToPlain(s: string): string {
  return s
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!subteam\^([A-Z0-9]+)(\|[^>]*)?>/g, '@$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2')
    .replace(/```\n?/g, '')
    .replace(/[*`]/g, '');
}

export { escapeText };
