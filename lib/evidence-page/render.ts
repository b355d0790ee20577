// The incident's evidence as one static, self-contained HTML page: no server, nothing fetched
// (inline CSS and script, the graph as a data: URI, a CSP that forbids anything else), readable
// offline the next morning. Pure: input in, string out. Bounded by PageLimits so the page of a
// 64 MiB dump stays small and quick in a browser.
import { describeCulprit, formatLabels, shortFile, type Frame, type WaitSpread } from '../goroutines/index.ts';
import { formatAge } from '../sessions/index.ts';
import type { Session, SessionGroup } from '../sessions/index.ts';
import type { Report } from '../triage/index.ts';
import { SCRIPT, STYLE } from './assets.ts';
import { textOf } from './html.ts';
import { DEFAULT_LIMITS, type EvidencePageInput, type PageLimits, type PageReading } from './model.ts';
import { dominantState, foldRuns, frameRole, stackView, type StackView, type TaggedGroup } from './stacks.ts';
import { describeReading, timelineOf } from './timeline.ts';

export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

type T = ReturnType<typeof textOf>;

export function renderEvidencePage(input: EvidencePageInput): string {
  const limits: PageLimits = { ...DEFAULT_LIMITS, ...input.limits };
  const t = textOf(input.secrets);
  const r = input.report;
  const generated = (input.generatedAt ?? new Date()).toISOString();
  // The headline itself is in the verdict box just below.
  const title = r ? `${r.service ?? 'no service'}: ${r.verdict.kind} evidence${input.incident ? ` · ${input.incident.firstSeen.slice(0, 16).replace('T', ' ')} UTC` : ''}` : (input.title ?? 'goroutine dump');
  const stacks = input.replicas?.length ? stackView(input.replicas, limits) : null;
  const timeline = timelineOf(input, limits.timeline);

  const sections: Array<[id: string, name: string, html: string]> = [];
  if (r) sections.push(['summary', 'Verdict', verdictHtml(r, input, t)]);
  if (r || input.readings?.length) sections.push(['figures', 'Figures', figuresHtml(r, input.readings ?? [], t)]);
  if (input.graphPng?.byteLength) sections.push(['graph', 'Graph', `<img class="graph" alt="database connections and 504s" src="data:image/png;base64,${input.graphPng instanceof Buffer ? input.graphPng.toString('base64') : Buffer.from(input.graphPng).toString('base64')}">`]);
  if (r?.findings.length) sections.push(['findings', 'Findings', findingsHtml(r, t)]);
  if (stacks) sections.push(['goroutines', 'Goroutines', stacksHtml(stacks, limits, t)]);
  if (r?.sessions || input.snapshot) sections.push(['database', 'Database', databaseHtml(r, input, limits, t)]);
  if (r?.replicas.length) sections.push(['replicas', 'Replicas', replicasHtml(r, t)]);
  if (timeline.length) sections.push(['timeline', 'Timeline', timelineHtml(timeline, t)]);
  if (r && (r.gaps.length || r.actions.length)) sections.push(['actions', 'Gaps and actions', actionsHtml(r, t)]);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${t(title)}</title><style>${STYLE}</style></head>
<body><main>
<p class="muted small">Leakhound evidence${input.incident ? ` · incident <code>${t(input.incident.id)}</code>` : ''}${r ? ` · report <code>${t(r.id)}</code>` : ''} · page written ${t(generated)}</p>
<h1>${t(title)}</h1>
<nav class="small">${sections.map(([id, name]) => `<a href="#${id}">${name}</a>`).join('')}</nav>
${sections.map(([id, name, html]) => `<section id="${id}"><h2>${name}</h2>${html}</section>`).join('\n')}
<p class="muted small">Query text appears only as fingerprints; credentials are redacted. Static page: it loads nothing.</p>
</main><script>${SCRIPT}</script></body></html>
`;
}

function verdictHtml(r: Report, input: EvidencePageInput, t: T): string {
  const v = r.verdict;
  const rests = v.restsOn
    ? `Read: database sessions ${v.restsOn.sessions ? 'yes' : 'no'}, dumps of ${v.restsOn.dumpsRead} of ${v.restsOn.dumpsTotal} replicas${v.restsOn.unread.length ? `; not read: ${v.restsOn.unread.map(t).join('; ')}` : ''}.`
    : '';
  return `<div class="verdict ${v.confidence}" id="verdict">
<div><span class="badge ${v.confidence}">${t(v.confidence)} confidence</span><span class="badge">${t(v.kind)}</span></div>
<div class="headline">${t(v.headline || v.kind)}</div>
${v.culprit ? `<div>Culprit: <code class="culprit-name">${t(describeCulprit(v.culprit))}</code></div>` : ''}
<div class="muted small">${rests} Triage took ${t((r.elapsedMs / 1000).toFixed(1))} s of ${t(Math.round(r.deadlineMs / 1000))} s${r.alert ? ` · alarm <code>${t(r.alert.name)}</code> ${t(r.alert.state)} at ${t(r.alert.time)}` : ''}${input.incident ? ` · ${t(input.incident.alarmCount)} firing(s), incident ${t(input.incident.state)}` : ''}.</div>
</div>`;
}

function figure(label: string, value: string, note = ''): string {
  return `<div class="figure"><span class="muted small">${label}</span><b>${value}</b>${note ? `<span class="muted small">${note}</span>` : ''}</div>`;
}

const num = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : String(n));

function figuresHtml(r: Report | null, readings: PageReading[], t: T): string {
  let html = '';
  if (r) {
    const c = r.capacity;
    html += `<div class="figures">
${figure('connections in use', t(`${num(c.inUse)} / ${num(c.available)}`), c.full ? 'database full' : `${num(c.free)} free`)}
${figure('max_connections', t(num(c.maxConnections)), t(c.engine ?? ''))}
${figure('growth', t(c.growthPerMinute === null ? '–' : `${c.growthPerMinute.toFixed(1)}/min`), c.minutesToExhaustion === null ? '' : t(`full in ${c.minutesToExhaustion} min`))}
${figure('ELB 504s', t(num(c.elb504)))}
${r.sessions ? figure('idle in transaction', t(num(r.sessions.idleInTransaction)), r.sessions.oldestTransactionMs === null ? '' : t(`oldest ${formatAge(r.sessions.oldestTransactionMs)}`)) : ''}
</div>`;
  }
  const rows: Array<{ label: string; at: string | null; reading: PageReading['reading'] }> = [];
  if (r) rows.push({ label: 'at triage', at: r.createdAt, reading: r.reading });
  for (const x of readings) rows.push({ label: x.label, at: x.at, reading: x.reading });
  if (rows.length > 1 || readings.length) {
    html += `<h3>Before and after</h3><table id="before-after"><tr><th>reading</th><th>at</th><th class="n">connections</th><th class="n">idle in transaction</th><th class="n">ELB 504s</th></tr>
${rows.map((x) => `<tr><td>${t(x.label)}</td><td>${t(x.at)}</td><td class="n">${t(num(x.reading.connections))}</td><td class="n">${t(num(x.reading.idleInTransaction))}</td><td class="n">${t(num(x.reading.elb504))}</td></tr>`).join('')}
</table>`;
  }
  return html;
}

const wait = (w: WaitSpread | null): string => (w ? (w.min === w.max ? `${w.max} min` : `${w.min}–${w.max} min (median ${w.median})`) : '');

function findingsHtml(r: Report, t: T): string {
  return r.findings
    .map(
      (f) => `<div class="group ${f.kind === 'pool-exhausted' || f.kind === 'pgx-acquire-wait' ? 'victim' : 'leak'}">
<div class="head"><span class="badge ${f.confidence}">${t(f.confidence)}</span><span class="badge">${t(f.kind)}</span> ${t(f.summary)}</div>
${f.culprit ? `<div>Culprit: <code>${t(describeCulprit(f.culprit))}</code>${f.culprit.function ? ` · <a href="#f=${encodeURIComponent(f.culprit.function)}" class="small filter-link">show its stacks</a>` : ''}</div>` : ''}
<div class="small">${t(f.count)} · ${f.waitMinutes ? `waiting ${t(wait(f.waitMinutes))}` : 'waiting under a minute, or no wait ages in this dump format'}${f.sessionIds.length ? ` · sessions ${t(f.sessionIds.slice(0, 50).join(', '))}${f.sessionIds.length > 50 ? '…' : ''}` : ''}</div>
${f.evidence.length ? `<ul class="small">${f.evidence.map((e) => `<li><span class="muted">${t(e.source)}:</span> ${t(e.text)}</li>`).join('')}</ul>` : ''}
${f.fingerprints.length ? `<div class="small">Statements: ${f.fingerprints.slice(0, 5).map((x) => `<code>${t(x)}</code>`).join(' · ')}</div>` : ''}
</div>`,
    )
    .join('\n');
}

function frameLine(f: Frame, role: string, t: T): string {
  // Library lines carry no class (the fold styles them): most lines of a big page are those.
  return `<li${role === 'library' ? '' : ` class="${role}"`}>${t(f.function || '?')}${f.file ? ` <i>${t(shortFile(f.file))}:${t(f.line)}</i>` : ''}${role === 'culprit' ? ' <span class="badge high">culprit</span>' : ''}</li>`;
}

function framesHtml(frames: readonly Frame[], tg: TaggedGroup, t: T): string {
  return foldRuns(
    frames.map((f) => ({ f, role: frameRole(f, tg) })),
    (x) => x.role === 'library',
  )
    .map((run) => {
      const lines = run.frames.map((x) => frameLine(x.f, x.role, t)).join('');
      if (!run.folded) return lines;
      return `<li><details class="fold"><summary>${run.frames.length} library/runtime frame${run.frames.length === 1 ? '' : 's'}: ${t(run.frames[0]!.f.function)}${run.frames.length > 1 ? ' …' : ''}</summary><ul class="frames">${lines}</ul></details></li>`;
    })
    .join('');
}

function groupHtml(tg: TaggedGroup, limits: PageLimits, t: T): string {
  const g = tg.group;
  const frames = g.frames.slice(0, limits.framesPerStack);
  const cut = g.frames.length - frames.length;
  const role = tg.signature ? tg.signature.role : 'other';
  const states = Object.entries(g.states)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([s, n]) => `${s} ×${n}`)
    .join(', ');
  // What the filter matches: every function of the stack, its creator and its labels.
  const search = [...g.frames, ...(g.createdBy ? [g.createdBy] : []), ...g.ancestry].map((f) => f.function).concat(Object.entries(g.labels).map(([k, v]) => `${k}=${v}`));
  const labels = Object.keys(g.labels).length ? `<div class="labels small">labels <code>${t(formatLabels(g.labels))}</code></div>` : '';
  return `<div class="group sg ${role}" data-f="${t(search.join('\n').toLowerCase())}">
<div class="head">${t(g.count)} goroutine${g.count === 1 ? '' : 's'} <span class="muted">[${t(states || dominantState(g.states))}]</span>${g.waitMinutes ? ` · waiting ${t(wait(g.waitMinutes))}` : ''}${tg.signature ? ` · <span class="badge ${role === 'leak' ? 'high' : 'medium'}">${t(tg.signature.title)}</span>` : ''}${g.lockedToThread ? ` · ${t(g.lockedToThread)} locked to thread` : ''}</div>
${labels}${tg.culprit && tg.culprit.evidence !== 'none' ? `<div class="small">culprit: <code>${t(describeCulprit(tg.culprit))}</code></div>` : ''}
<ul class="frames mono">${framesHtml(frames, tg, t)}${cut > 0 ? `<li class="muted">… ${t(cut)} more frames</li>` : ''}${g.createdBy ? `<li class="muted">created by ${t(g.createdBy.function)} <i>${t(shortFile(g.createdBy.file))}:${t(g.createdBy.line)}</i></li>` : ''}</ul>
${g.ancestry.length ? `<details class="fold small"><summary>ancestry (${t(g.ancestry.length)} frames)</summary><ul class="frames mono">${g.ancestry.slice(0, limits.framesPerStack).map((f) => frameLine(f, frameRole(f, tg), t)).join('')}</ul></details>` : ''}
</div>`;
}

function stacksHtml(s: StackView, limits: PageLimits, t: T): string {
  const head = `<p>${t(s.goroutines)} goroutines in ${t(s.totalGroups)} groups (${t(s.formats.join(', ') || 'no dump')})${s.truncated ? ' · <span class="gap">the dump was cut (64 MiB runtime cap or a partial read): more goroutines existed</span>' : ''}. Leaks first, then callers waiting for a connection, then the rest by size; application frames in blue, library and runtime frames folded.</p>`;
  const filter = `<div class="filter"><input id="stack-filter" type="search" placeholder="filter stacks by function, e.g. transfer or awaitDone" autocomplete="off"> <span id="stack-count" class="muted small"></span></div>`;
  const groups = s.shown.map((g) => groupHtml(g, limits, t)).join('\n');
  const summary = s.summarised.length
    ? `<h3>${t(s.summarised.length)} smaller groups, one line each</h3><table class="small mono"><tr><th class="n">goroutines</th><th>state</th><th>top application frame</th><th>top frame</th></tr>${s.summarised
        .map((tg) => {
          const g = tg.group;
          const app = g.frames.find((f) => frameRole(f, tg) !== 'library');
          // The filter matches a summarised group by its application functions and its top frame.
          const fns = [...new Set([g.frames[0]?.function ?? '', ...g.frames.filter((f) => frameRole(f, tg) !== 'library').map((f) => f.function)])].join('\n').toLowerCase();
          return `<tr class="sg" data-f="${t(fns)}"><td class="n">${t(g.count)}</td><td>${t(dominantState(g.states))}</td><td>${t(app?.function ?? '')}</td><td>${t(g.frames[0]?.function ?? '')}</td></tr>`;
        })
        .join('')}</table>`
    : '';
  const hidden = s.hidden.groups ? `<p class="muted">${t(s.hidden.groups)} more groups (${t(s.hidden.goroutines)} goroutines) not shown; the full dump is in the evidence beside this page.</p>` : '';
  return head + filter + groups + summary + hidden;
}

function groupsTable(title: string, groups: SessionGroup[], t: T): string {
  if (!groups.length) return '';
  return `<h3>${title}</h3><table class="small"><tr><th>${title.split(' ').pop()}</th><th class="n">sessions</th><th>states</th><th>oldest transaction</th><th>oldest in state</th></tr>${groups
    .slice(0, 50)
    .map(
      (g) =>
        `<tr><td class="mono">${t(g.key)}</td><td class="n">${t(g.count)}</td><td>${t(
          Object.entries(g.byState)
            .map(([s, n]) => `${s} ${n}`)
            .join(', '),
        )}</td><td>${t(g.oldestTransactionMs === null ? '' : formatAge(g.oldestTransactionMs))}</td><td>${t(g.oldestStateMs === null ? '' : formatAge(g.oldestStateMs))}</td></tr>`,
    )
    .join('')}</table>`;
}

function databaseHtml(r: Report | null, input: EvidencePageInput, limits: PageLimits, t: T): string {
  const snap = input.snapshot ?? null;
  let html = '';
  if (snap) {
    const c = snap.capacity;
    html += `<p>${t(snap.engine)} ${t(snap.serverVersion ?? '')} · snapshot at ${t(snap.takenAt)}${c ? ` · ${t(c.inUse)} of ${t(c.availableToApplications)} application slots in use (max_connections ${t(c.maxConnections)}, ${t(c.reservedForSuperusers)} reserved for superusers${c.reservedForRoles ? `, ${t(c.reservedForRoles)} for reserved roles` : ''})${c.full ? ' · <b>full</b>' : ''}` : ' · capacity not read'}</p>`;
    if (snap.problems.length) html += `<ul>${snap.problems.map((p) => `<li class="gap">${t(p.message)} — ${t(p.remedy)}</li>`).join('')}</ul>`;
  }
  const s = r?.sessions;
  if (s) {
    html += `<p>${t(s.ofService)} of ${t(s.total)} sessions are the service's; ${t(s.idleInTransaction)} idle in transaction${s.idleInTransactionAborted ? ` (${t(s.idleInTransactionAborted)} aborted)` : ''}${s.oldestTransactionMs === null ? '' : `, the oldest open for ${t(formatAge(s.oldestTransactionMs))}`}.</p>`;
    if (s.suspects.length)
      html += `<h3>Suspects</h3><table class="small"><tr><th>kind</th><th class="n">sessions</th><th>oldest</th><th>application</th><th>statement</th></tr>${s.suspects
        .map((x) => `<tr><td>${t(x.kind)}</td><td class="n">${t(x.count)}</td><td>${t(formatAge(x.oldestMs))}</td><td>${t(x.app)}</td><td class="mono">${t(x.fingerprint ?? '')}</td></tr>`)
        .join('')}</table>`;
    if (s.otherApplications.length)
      html += `<h3>Other applications on the database</h3><table class="small"><tr><th>application</th><th class="n">sessions</th><th class="n">idle in transaction</th></tr>${s.otherApplications
        .map((o) => `<tr><td>${t(o.application)}</td><td class="n">${t(o.sessions)}</td><td class="n">${t(o.idleInTransaction)}</td></tr>`)
        .join('')}</table>`;
  }
  if (snap) {
    html += groupsTable('By state', snap.groups.byState, t) + groupsTable('By statement fingerprint', snap.groups.byFingerprint, t) + groupsTable('By application', snap.groups.byApplication, t);
  }
  // The service's sessions, each with how it was tied to the service.
  const attribution = new Map((s?.attribution ?? []).map((a) => [a.id, a]));
  const sessions: Session[] = snap ? snap.sessions.filter((x) => attribution.size === 0 || attribution.has(x.id)) : [];
  sessions.sort((a, b) => (b.transactionAgeMs ?? b.stateAgeMs ?? -1) - (a.transactionAgeMs ?? a.stateAgeMs ?? -1));
  const rows = sessions.slice(0, limits.sessions);
  if (rows.length) {
    html += `<h3>${attribution.size ? "The service's sessions" : 'Sessions'} (${t(sessions.length)}${sessions.length > rows.length ? `, the ${t(rows.length)} oldest listed` : ''})</h3>
<table class="small" id="sessions"><tr><th class="n">id</th><th>state</th><th>transaction</th><th>in state</th><th>application</th><th>client</th><th>attributed by</th><th>wait</th><th>route (SQL comment)</th><th>statement</th></tr>${rows
      .map((x) => {
        const a = attribution.get(x.id);
        const route = x.sqlComment ? Object.entries(x.sqlComment).filter(([, v]) => typeof v === 'string' && v).map(([k, v]) => `${k}=${v}`).join(' ') : '';
        return `<tr><td class="n">${t(x.id)}</td><td>${t(x.state)}</td><td>${t(x.transactionAgeMs === null ? '' : formatAge(x.transactionAgeMs))}</td><td>${t(x.stateAgeMs === null ? '' : formatAge(x.stateAgeMs))}</td><td>${t(x.application ?? '')}</td><td>${t(x.clientAddress ?? '')}</td><td>${a ? `${t(a.by)}${a.offered ? '' : ' <span class="muted">(not offered for termination)</span>'}` : ''}</td><td>${t([x.waitEventType, x.waitEvent].filter(Boolean).join('/'))}</td><td class="mono">${t(route)}</td><td class="mono">${t(x.fingerprint ?? '')}</td></tr>`;
      })
      .join('')}</table>`;
  } else if (s?.attribution.length) {
    html += `<h3>Attribution</h3><table class="small"><tr><th class="n">id</th><th>state</th><th>by</th><th>application</th><th>client</th><th>offered</th></tr>${s.attribution
      .slice(0, limits.sessions)
      .map((a) => `<tr><td class="n">${t(a.id)}</td><td>${t(a.state)}</td><td>${t(a.by)}</td><td>${t(a.application ?? '')}</td><td>${t(a.clientAddress ?? '')}</td><td>${a.offered ? 'yes' : 'no'}</td></tr>`)
      .join('')}</table>`;
  }
  return html || '<p class="muted">The database was not read.</p>';
}

function replicasHtml(r: Report, t: T): string {
  return `<table class="small"><tr><th>replica</th><th>address</th><th>source</th><th class="n">goroutines</th><th class="n">leaked tx</th><th class="n">leaked rows</th><th class="n">waiting</th><th class="n">sessions</th><th class="n">idle in tx</th><th>oldest tx</th><th>pool (in use/idle/max, waits)</th><th>status</th></tr>${r.replicas
    .map(
      (x) =>
        `<tr><td>${t(x.replica)}</td><td>${t(x.address ?? '')}</td><td>${t(x.source)}</td><td class="n">${t(num(x.goroutines))}</td><td class="n">${t(x.leakedTransactions)}</td><td class="n">${t(x.leakedRows)}</td><td class="n">${t(x.poolWaiters)}</td><td class="n">${t(x.sessions)}</td><td class="n">${t(x.idleInTransaction)}</td><td>${t(x.oldestTransactionMs === null ? '' : formatAge(x.oldestTransactionMs))}</td><td>${x.pool ? t(`${num(x.pool.inUse)}/${num(x.pool.idle)}/${num(x.pool.max)}, ${num(x.pool.waits)}`) : ''}</td><td${x.status === 'ok' ? '' : ' class="gap"'}>${t(x.status)}</td></tr>`,
    )
    .join('')}</table>`;
}

function timelineHtml(entries: ReturnType<typeof timelineOf>, t: T): string {
  return `<table class="timeline small" id="timeline-table"><tr><th>time (UTC)</th><th>who</th><th>what</th><th>detail</th></tr>${entries
    .map((e) => `<tr><td class="mono">${t(e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td>${t(e.actor)}</td><td>${t(e.what)}</td><td>${t(e.detail)}</td></tr>`)
    .join('')}</table>`;
}

function actionsHtml(r: Report, t: T): string {
  let html = '';
  if (r.actions.length) html += `<h3>Recommended</h3><ul>${r.actions.map((a) => `<li><span class="badge">${t(a.kind)}</span>${t(a.text)}</li>`).join('')}</ul>`;
  if (r.gaps.length) html += `<h3>Not read</h3><ul>${r.gaps.map((g) => `<li class="gap">${t(g.source)} ${t(g.target)}: ${t(g.reason)}${g.remedy ? ` — ${t(g.remedy)}` : ''}</li>`).join('')}</ul>`;
  return html;
}

export { describeReading };
