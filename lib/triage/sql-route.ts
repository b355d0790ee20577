// The route a leak came from, as the leaked sessions' last statements name it in their
// sqlcommenter comment. Rows leaked under context.Background() leave no goroutine: for them this
// is the only name there is. Where the goroutines already name the code, it is corroboration.
import { describeTags, type Session, type SqlCommentTags } from '../sessions/index.ts';
import type { ReportFinding } from './report.ts';

export function attachCommentRoutes(findings: ReportFinding[], sessions: readonly Session[]): void {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  for (const f of findings) {
    const counts = new Map<string, { tags: SqlCommentTags; n: number }>();
    for (const id of f.sessionIds) {
      const tags = byId.get(id)?.sqlComment;
      if (!tags) continue;
      const key = describeTags(tags);
      const e = counts.get(key) ?? { tags, n: 0 };
      e.n++;
      counts.set(key, e);
    }
    const top = [...counts.values()].sort((a, b) => b.n - a.n)[0];
    if (!top) continue;
    const of = f.sessionIds.length;
    f.evidence.push({
      source: 'sessions',
      text: `${top.n === of ? (of === 1 ? 'its' : `all ${of}`) : `${top.n} of ${of}`} last statement${of === 1 ? '' : 's'} carry the SQL comment ${describeTags(top.tags)} (sqlcommenter)`,
    });
    // Named by the comment only when every tagged session agrees and nothing better names it.
    if (!f.culprit && counts.size === 1) {
      f.culprit = { function: '', file: '', line: 0, labels: { ...top.tags }, evidence: 'labels' };
      if (f.confidence === 'low') f.confidence = 'medium';
    }
  }
}
