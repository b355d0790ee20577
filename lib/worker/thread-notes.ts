// One-line thread notes for what the worker did (restart, termination, verification, an alarm no
// service claims). Pure; the Report and approval messages themselves are lib/slack's.
import { posix } from 'node:path';
import type { PageLink } from '../evidence-page/index.ts';
import { pageText, withPageButton } from '../slack/index.ts';
import type { RunRestartResult, RunTerminateResult, SavedEvidence, VerificationCheck } from '../remediation/index.ts';
import { plainMessage, type SlackMessage } from '../slack/index.ts';
import { redact } from '../redact/index.ts';
import { code, safe } from '../slack/index.ts';

export function restartNote(r: RunRestartResult, verifyInSeconds: number | null = null, page: PageLink | null = null): SlackMessage {
  if (r.status === 'skipped') return plainMessage(`:information_source: Restart not run: ${safe(r.message)}`);
  const when = verifyInSeconds === null ? '' : ` in ${formatDelay(verifyInSeconds)}`;
  const verify = r.verifyJobId ? ` Verification${when}.` : '';
  const note = plainMessage(`${r.status === 'done' ? ':white_check_mark:' : ':x:'} Restart ${r.status}: ${safe(r.result.message)}.${evidenceText(r.evidence)}${verify}${pageText(page)}`);
  return page ? withPageButton(note, page) : note;
}

/** Where the evidence went (a folder in S3 or on disk, named), and what could not be kept. */
function evidenceText(e: SavedEvidence): string {
  const failed = e.problems.length ? ` Not saved: ${safe(e.problems.join('; '))}.` : '';
  if (!e.links.length) return ` No evidence could be saved.${failed}`;
  const folder = posix.dirname(e.links[0]!.location);
  // Console links open in a browser; a file on this machine is named, not linked.
  const names = e.links.map((l) => (/^https:/.test(l.url) ? `<${l.url}|${safe(l.name)}>` : safe(l.name))).join(', ');
  return ` Evidence saved first, in ${code(folder)}: ${names}.${failed}`;
}

function formatDelay(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}

export function terminateNote(r: RunTerminateResult): SlackMessage {
  if (r.status === 'skipped') return plainMessage(`:information_source: Termination not run: ${safe(r.message)}`);
  return plainMessage(`${r.status === 'done' ? ':white_check_mark:' : ':x:'} Sessions: ${safe(r.summary)}${r.verifyJobId ? '. Verification scheduled.' : ''}`);
}

const VERDICT: Record<VerificationCheck['verdict']['verdict'], string> = {
  pass: ':white_check_mark: Recovered',
  fail: ':x: Not recovered',
  'regressed-later': ':warning: The leak is back',
  inconclusive: ':grey_question: Inconclusive',
};

export function verificationNote(action: string, check: VerificationCheck): SlackMessage {
  const head = `${VERDICT[check.verdict.verdict]} after the ${action}`;
  const more = check.final ? '' : ' Still watching.';
  const readError = check.readError ? ` (this reading failed: ${safe(check.readError)})` : '';
  return plainMessage(`${head}: ${check.verdict.reasons.map(safe).join('; ')}.${more}${readError}`);
}

export function unmappedNote(alertName: string): SlackMessage {
  return plainMessage(
    `:grey_question: Alarm ${code(redact(alertName))} maps to no service in the catalog, so nothing was triaged. Map it under a service (alarms.names, alarms.dimensions or alarms.labels).`,
  );
}
