// Follow-ups that fit the leak's signature: the code fix, the database setting that caps the
// damage, the instrumentation that names the culprit next time, and a test that keeps it fixed.
import { describeCulprit, isFindingKind, signatureByKind } from '../goroutines/index.ts';
import type { Report } from '../triage/index.ts';

export function followUpsFor(report: Report | null): string[] {
  const kind = report?.verdict.kind ?? 'unknown';
  const culprit = report?.verdict.culprit ?? report?.findings.find((f) => f.culprit)?.culprit ?? null;
  const where = culprit ? `\`${describeCulprit(culprit)}\`` : 'the code path the evidence points to';
  const engine = report?.capacity.engine ?? null;
  const mysql = engine === 'mysql' || engine === 'mariadb';
  const out: string[] = [];

  if (kind === 'tx-leak' || kind === 'open-transactions') {
    out.push(`Fix the code: in ${where}, every \`BeginTx\` is followed by \`defer tx.Rollback()\` (a no-op after \`Commit\`), so early returns and error paths end the transaction.`);
  } else if (kind === 'rows-leak' || kind === 'idle-connections') {
    out.push(`Fix the code: in ${where}, \`defer rows.Close()\` right after every successful \`Query\`, and check \`rows.Err()\` after the loop; a Scan error must not return with the rows open.`);
  } else if (isFindingKind(kind)) {
    out.push(`Fix the code: ${signatureByKind(kind).fix} (in ${where}).`);
  } else {
    out.push(`Find the code path: the evidence did not name it (${kind}); take a debug=2 dump during the next episode.`);
  }

  if (mysql) {
    out.push('Cap the damage in the database: a lower `wait_timeout` for the application user ends sessions left idle, and `innodb_lock_wait_timeout` bounds what an open transaction can block.');
  } else {
    out.push(
      'Cap the damage in the database: `ALTER ROLE <app> SET idle_in_transaction_session_timeout = \'60s\'` ends sessions left idle in a transaction (the application then sees an error instead of the pool running dry); on PostgreSQL 17+, `transaction_timeout` also bounds transactions that keep working.',
    );
  }
  if (culprit?.evidence !== 'labels') {
    out.push('Name the culprit next time: wrap HTTP handlers in `pprof.Do(ctx, pprof.Labels("route", …), …)`; a leaked `(*Tx).awaitDone` goroutine inherits the labels of the request that opened it.');
  } else {
    out.push('Keep the pprof labels (`pprof.Do` with the route): they named the culprit in this incident.');
  }
  out.push(
    'Add a leak test: run the handler\'s error paths under `goleak.VerifyNone(t)` (go.uber.org/goleak), or check `/debug/pprof/goroutineleak` (Go 1.26 with `GOEXPERIMENT=goroutineleakprofile`, default in 1.27) in CI; assert `db.Stats().InUse == 0` after each test.',
  );
  out.push('Alert earlier: keep the watch on for this service (catalog `watch`), so the next leak is a "leak developing" message hours before the alarm.');
  return out;
}
