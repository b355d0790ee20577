// Recommended actions, most urgent first: relieve the database, then fix the code, then make the
// next verdict sharper.
import { describeRestartTarget, type Service } from '../catalog/index.ts';
import { describeCulprit, isFindingKind, signatureByKind } from '../goroutines/index.ts';
import type { Engine } from '../sessions/index.ts';
import { traitsOf } from './kinds.ts';
import type { Action, Report } from './report.ts';

export function actionsFor(report: Report, service: Service, engine: Engine | null): Action[] {
  const actions: Action[] = [];
  const leaking = report.findings.filter((f) => traitsOf(f.kind).actions.restart);
  if (report.findings.length === 0) return actions;

  const terminable = [...new Set(report.findings.filter((f) => traitsOf(f.kind).actions.terminateSessions).flatMap((f) => f.sessionIds))];
  if (terminable.length > 0) {
    actions.push({
      kind: 'terminate-sessions',
      text: `Terminate the ${terminable.length} leaked session${terminable.length === 1 ? '' : 's'} to free connections now (milder than a restart; the leak will come back)`,
      sessionIds: terminable,
    });
  }
  if (service.restart && leaking.length > 0) {
    actions.push({ kind: 'restart', text: `Restart ${service.name} (${describeRestartTarget(service.restart)}) to release every connection it holds; evidence is saved first` });
  }
  for (const f of report.findings) {
    if (!isFindingKind(f.kind) || !signatureByKind(f.kind).actions.codeFix) continue;
    const where = f.culprit && f.culprit.evidence !== 'creator' ? ` in ${describeCulprit(f.culprit)}` : f.fingerprints[0] ? ` where the code runs \`${f.fingerprints[0]}\`` : '';
    actions.push({ kind: 'code-fix', text: `Fix${where}: ${signatureByKind(f.kind).fix}` });
  }
  if (report.findings.some((f) => traitsOf(f.kind).actions.capIdleTransactions)) {
    actions.push({
      kind: 'database-setting',
      text:
        engine === 'mysql' || engine === 'mariadb'
          ? 'Cap idle transactions on the server: lower `wait_timeout` for the application user (MariaDB: `idle_transaction_timeout`)'
          : "Cap idle transactions on the server: `ALTER ROLE <app> SET idle_in_transaction_session_timeout = '5min'`",
    });
  }
  const unnamed = report.findings.some((f) => isFindingKind(f.kind) && (!f.culprit || f.culprit.evidence === 'creator'));
  if (unnamed) {
    actions.push({
      kind: 'instrumentation',
      text: 'Add pprof labels per route (pprof.Do in the HTTP middleware, see README) so leaked goroutines name the request that opened them',
    });
  }
  return actions;
}
