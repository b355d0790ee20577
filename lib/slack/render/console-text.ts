// A SlackMessage as terminal text: what a person would read in Slack, block by block, with
// mrkdwn turned back into plain characters. Used by the console sink (npm run dev, demo, CLI).
import type { KnownBlock, SlackMessage } from './block-kit.ts';

/** Drops *bold* and _italic_ markers outside code spans and blocks (the terminal has neither). */
function stripEmphasis(s: string): string {
  return s
    .split(/(```[\s\S]*?```|`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\*([^*\n]+)\*/g, '$1').replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;])/g, '$1$2')))
    .join('');
}

export function mrkdwnToTerminal(s: string): string {
  return stripEmphasis(s)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => `@${name ?? id}`)
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => `#${name ?? id}`)
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/:white_check_mark:/g, '✅')
    .replace(/:red_circle:/g, '🔴')
    .replace(/:large_orange_circle:/g, '🟠')
    .replace(/:large_green_circle:/g, '🟢')
    .replace(/:warning:/g, '⚠️')
    .replace(/:hourglass_flowing_sand:|:hourglass:/g, '⏳')
    .replace(/:rotating_light:/g, '🚨')
    .replace(/:no_entry_sign:|:no_entry:/g, '⛔')
    .replace(/:x:/g, '❌')
    .replace(/:mag:/g, '🔎')
    .replace(/:gear:/g, '⚙️')
    .replace(/:grey_question:/g, '❔')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textOf(t: { text: string } | undefined): string {
  return t ? mrkdwnToTerminal(t.text) : '';
}

function blockText(b: KnownBlock): string[] {
  switch (b.type) {
    case 'header':
      return [`== ${textOf(b.text)} ==`];
    case 'section': {
      const out: string[] = [];
      if (b.text) out.push(textOf(b.text));
      if (b.fields?.length) out.push(b.fields.map((f) => textOf(f).replace(/\n/g, ': ')).join('   '));
      return out;
    }
    case 'context':
      return [
        b.elements
          .map((e) => ('text' in e && typeof e.text === 'string' ? mrkdwnToTerminal(e.text) : ''))
          .filter(Boolean)
          .join('  ·  '),
      ];
    case 'divider':
      return ['----'];
    case 'actions':
      return [
        b.elements
          .map((e) => {
            if (e.type !== 'button') return `[${e.type}]`;
            const style = e.style === 'danger' ? ' (danger, asks to confirm)' : e.style === 'primary' ? ' (primary)' : '';
            return `[ ${e.text.text}${style} ]`;
          })
          .join(' ') + idsOf(b.elements),
      ];
    default:
      return [`[${b.type} block]`];
  }
}

/** The id the buttons carry, once (so a console user can `click approve <id>`). */
function idsOf(elements: ReadonlyArray<{ type: string; value?: string }>): string {
  const ids = [...new Set(elements.map((e) => e.value).filter((v): v is string => !!v))].map((v) => v.replace(/^[isa]:/, ''));
  return ids.length ? `  (id ${ids.join(', ')})` : '';
}

export function messageToText(m: SlackMessage): string {
  if (!m.blocks.length) return mrkdwnToTerminal(m.text);
  return m.blocks.flatMap(blockText).join('\n');
}
