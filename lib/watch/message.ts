// The watch's Slack messages: "leak developing" (posted once in the service's channel, then
// updated in place) and "regressed" (in the incident's thread after a restart). Rendering only:
// the Report's own blocks come from lib/slack, after the watch's projection.
import { renderReport } from '../slack/index.ts';
import { context, header, section, type KnownBlock, type SlackMessage } from '../slack/index.ts';
import { code, safe } from '../slack/index.ts';
import { redact } from '../redact/index.ts';
import { formatAge } from '../sessions/index.ts';
import type { Report } from '../triage/index.ts';
import type { Developing, Regression } from './assess.ts';

/** 3.67 → "3 h 40 min"; under an hour in minutes; a day or more in hours. */
export function formatHours(hours: number): string {
  const minutes = Math.max(0, Math.round(hours * 60));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 || h >= 24 ? `${h} h` : `${h} h ${m} min`;
}

const rate = (perHour: number) => (perHour >= 10 ? perHour.toFixed(0) : perHour.toFixed(1));

/** What is leaking, in the Report's own words. */
export function leakNoun(report: Report | null): string {
  const kind = report?.verdict.kind;
  if (kind === 'rows-leak') return 'leaked rows';
  if (kind === 'idle-connections') return 'connections held idle';
  return 'leaked transactions';
}

/** "38 → 112 leaked transactions in 2 h; max_connections in ~3 h 40 min" */
export function projectionLine(d: Developing, report: Report | null): string {
  const span = d.trend ? formatHours(d.trend.spanHours) : '?';
  const limit = d.limit === 'pool' ? 'its connection pool full' : 'max_connections';
  const when = d.hoursToLimit === null ? 'no limit known' : d.hoursToLimit === 0 ? `${limit} reached` : `${limit} in ~${formatHours(d.hoursToLimit)}`;
  return `${d.from} → ${d.to} ${leakNoun(report)} in ${span}; ${when}`;
}

function statsLine(d: Developing): string {
  if (!d.trend) return '';
  const mk = d.trend.mannKendall;
  return `Theil–Sen slope +${rate(d.trend.perHour)}/h, Mann–Kendall p ${mk.pIncreasing < 0.0001 ? '< 0.0001' : `= ${mk.pIncreasing.toFixed(4)}`} over ${d.trend.points} samples`;
}

export function renderDeveloping(service: string, d: Developing, report: Report, at: string): SlackMessage {
  const line = redact(projectionLine(d, report));
  const latest = d.latest;
  const now = latest
    ? [
        latest.idleInTransaction !== null ? `${latest.idleInTransaction} idle in transaction` : null,
        latest.oldestTransactionMs !== null ? `oldest ${formatAge(latest.oldestTransactionMs)}` : null,
        latest.awaitDone !== null ? `${latest.awaitDone} awaitDone goroutines` : null,
        latest.idleHeld !== null ? `${latest.idleHeld} sessions held idle` : null,
        latest.poolInUse !== null && latest.poolMax !== null ? `pool ${latest.poolInUse}/${latest.poolMax} in use` : null,
        latest.dbInUse !== null && latest.dbAvailable !== null ? `database ${latest.dbInUse}/${latest.dbAvailable} connections` : null,
      ].filter((x): x is string => x !== null)
    : [];
  const full = renderReport(report, { incident: null, buttons: false });
  const blocks: KnownBlock[] = [
    header(`⚠️ Leak developing in ${service}`),
    section(`*${safe(line)}*`),
    ...(now.length ? [context(safe(`Now: ${now.join(' · ')}`))] : []),
    context(safe(`${statsLine(d)} · updated ${at} · the alarm has not fired yet`)),
    ...full.blocks.slice(1),
  ];
  return { text: `Leak developing in ${service}: ${line}`, blocks };
}

export function renderNoLongerGrowing(service: string, d: Developing, at: string): SlackMessage {
  const text = `Leak in ${service} no longer growing (${d.to} ${leakNoun(null)} now; ${d.reason})`;
  return { text, blocks: [header(`✅ ${service}: no longer growing`), section(safe(text)), context(safe(`updated ${at}`))] };
}

/** "regressed: 9 leaked transactions 2 h after the restart, same culprit" */
export function regressionLine(r: Regression, report: Report | null): string {
  const culprit = r.sameCulprit === true ? `same culprit (${r.culprit})` : r.sameCulprit === null ? 'culprit not confirmed (no goroutine evidence)' : `another culprit (${r.culprit})`;
  return `regressed: ${r.leaked} ${leakNoun(report)} ${formatHours(r.hoursSinceRestart)} after the restart, ${culprit}; growing ~${rate(r.perHour)}/h`;
}

export function renderRegression(service: string, r: Regression, report: Report, at: string): SlackMessage {
  const line = redact(regressionLine(r, report));
  const hint = 'The restart only bought time: the code still leaks. Fix the culprit (see the postmortem follow-ups), or restart again before the database fills.';
  return {
    text: `${service} ${line}`,
    blocks: [section(`:rotating_light: ${code(service)} *${safe(line)}*`), context(safe(hint)), context(safe(`updated ${at}`))],
  };
}
