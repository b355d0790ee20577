// The page in Slack: a line in the restart note and the answer to `/leak evidence`. A presigned
// link travels only as a link button's url (see presigned.ts); the text says until when it works.
import type { PageLink } from '../../evidence-page/index.ts';
import { PAGE_BUTTON_ACTION } from '../../evidence-page/index.ts';
import { plainMessage, type SlackMessage } from './block-kit.ts';
import { code, safe } from './mrkdwn.ts';

/** A presigned page link goes in a link button (the only place Slack's redaction keeps it). */
export function withPageButton(m: SlackMessage, page: PageLink): SlackMessage {
  if (!/^https:/.test(page.url)) return m;
  const open = { type: 'button' as const, action_id: PAGE_BUTTON_ACTION, text: { type: 'plain_text' as const, text: 'Open the evidence page' }, url: page.url };
  return { ...m, blocks: [...m.blocks, { type: 'actions', block_id: 'evidence_page', elements: [open] }] };
}

/** The evidence page: a link valid until a stated time (S3), or the file on this machine. */
export function pageText(page: PageLink | null): string {
  if (!page) return '';
  if (/^https:/.test(page.url)) return `\n:page_facing_up: Evidence page: one self-contained page${page.expiresAt ? `, link valid until ${safe(page.expiresAt.replace(/\.\d+Z$/, 'Z'))} (\`/leak evidence\` with the incident id makes a new one)` : ''}.`;
  return `\n:page_facing_up: Evidence page: ${code(page.url)}`;
}

/** The answer to `/leak evidence <incident>`. */
export function pageAnswer(incidentId: string, page: PageLink | null): SlackMessage {
  if (!page) return plainMessage(`:grey_question: No evidence page for incident ${code(incidentId)}: it is written when evidence is saved before a restart, and expires with the evidence.`);
  return withPageButton(plainMessage(`Incident ${code(incidentId)}:${pageText(page).replace(/^\n/, ' ')}`), page);
}
