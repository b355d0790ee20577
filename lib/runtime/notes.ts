// One-line thread notes for what the worker did (restart, termination, verification, an alarm no
// service claims). Pure; the Report and approval messages themselves are lib/slack's.
import type { RunRestartResult, RunTerminateResult, VerificationCheck } from '../remediation/index.ts';
import { plainMessage, type SlackMessage } from '../slack/message.ts';
import { redact } from '../redact/index.ts';
import { code, safe } from '../slack/mrkdwn.ts';

export function restartNote(r: RunRestartResult): SlackMessage {
  if (r.status === 'skipped') return plainMessage(`:information_source: Restart not run: ${safe(r.message)}`);
  const saved = r.evidence.links.length ? ` Evidence: ${r.evidence.links.map((l) => `<${l.url}|${safe(l.name)}>`).join(', ')}.` : ' No evidence could be saved.';
  const verify = r.verifyJobId ? ' Verification scheduled.' : '';
  return plainMessage(`${r.status === 'done' ? ':white_check_mark:' : ':x:'} Restart ${r.status}: ${safe(r.result.message)}.${saved}${verify}`);
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
