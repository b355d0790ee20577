// Property: a random secret of every shape the issue lists, embedded in random text, never
// survives any output path — not whole, and not any 8-character piece of it. The paths are the
// real ones: lib/redact, a log line, Slack renderings (a Report, progress, an approval step, a
// restart note, an unmapped alarm, the sink's last fence), the audit log and an approval's history
// (a real store), evidence metadata, a restart command's output, a quoted error body, and the
// CLI's text, JSON and error lines.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteBody } from '../../lib/dumps/describe.ts';
import { terminalJson, terminalLine, terminalText } from '../../lib/cli/output.ts';
import { SHAPE_NAMES, redact, refreshProcessSecrets } from '../../lib/redact/index.ts';
import { outputScrubber } from '../../lib/remediation/command.ts';
import { saveEvidence, type EvidenceStore } from '../../lib/remediation/evidence.ts';
import { createLog } from '../../lib/lambda/log.ts';
import { restartNote, unmappedNote } from '../../lib/worker/thread-notes.ts';
import { renderReport } from '../../lib/slack/render/report.ts';
import { plainMessage } from '../../lib/slack/render/block-kit.ts';
import { renderApprovalStep, renderError, renderProgress } from '../../lib/slack/render/messages.ts';
import { redactMessage } from '../../lib/slack/post/sink.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { sampleReport } from '../support/slack-harness.ts';

/** A secret's random part: mixed case and digits, so no piece of it occurs in the filler by chance. */
const core = (n: number) => fc.stringMatching(new RegExp(`^[A-Z][a-z][0-9][A-Za-z0-9]{${n - 3}}$`));
const b64 = (n: number) => fc.stringMatching(new RegExp(`^[A-Z][a-z][0-9][A-Za-z0-9+/]{${n - 3}}$`));
/** Passwords with the characters that cut URLs and DSNs short: / @ : */
const awkwardPassword = fc.tuple(core(10), fc.constantFrom('/', '@', ':', '/@:', '@@', ':/'), core(8)).map(([a, sep, b]) => `${a}${sep}${b}`);
const ENV_SECRET = `Env-Secret-${Math.random().toString(36).slice(2, 10)}Q9`;

/** Each shape: how it sits in text, given its secret part. */
type Shape = [name: string, arb: fc.Arbitrary<{ text: string; secret: string }>];
const shape = (name: string, secret: fc.Arbitrary<string>, embed: (s: string) => string): Shape => [name, secret.map((s) => ({ text: embed(s), secret: s }))];

const SHAPES: Shape[] = [
  shape('URL userinfo (password with / @ :)', awkwardPassword, (s) => `could not connect to postgres://app:${s}@db.internal:5432/billing`),
  shape('URL userinfo in a mysql URL', awkwardPassword, (s) => `dsn=mysql://root:${s}@10.0.0.7/ledger?tls=true`),
  shape('Authorization: Bearer', b64(32), (s) => `Authorization: Bearer ${s}`),
  shape('Authorization: Basic', b64(24), (s) => `authorization: Basic ${s}==`),
  shape('x-api-key header', core(24), (s) => `curl -H "x-api-key: ${s}" https://api.example.com`),
  shape('JSON password key', core(16), (s) => `{"user":"app","password":"${s}","host":"db"}`),
  shape('JSON client_secret key', core(20), (s) => `{"client_secret": "${s}"}`),
  shape('YAML password (spaces)', fc.tuple(core(8), core(8)).map(([a, b]) => `${a} ${b}`), (s) => `\ndatabase:\n  password: ${s}\n  user: app\n`),
  shape('INI token', core(16), (s) => `\n[auth]\ntoken = ${s}\n`),
  shape('--password X', core(14), (s) => `mysqladmin --password ${s} -h db status`),
  shape('--password=X', core(14), (s) => `pg_dump --password=${s} billing`),
  shape('-pX', core(14), (s) => `mysql -u root -p${s} ledger`),
  shape('Go MySQL DSN', awkwardPassword, (s) => `dial app:${s}@tcp(ledger-db:3306)/ledger?parseTime=true failed`),
  shape('libpq keyword string', core(14), (s) => `host=db port=5432 user=app password=${s} dbname=billing sslmode=require`),
  shape('libpq quoted password', fc.tuple(core(8), core(8)).map(([a, b]) => `${a} ${b}`), (s) => `host=db password='${s}' dbname=billing`),
  shape('AWS access key id', fc.stringMatching(/^[A-Z0-9]{16}$/).filter((s) => /[0-9]/.test(s) && /[A-Z]{2}/.test(s)), (s) => `using AKIA${s} in eu-west-1`),
  shape('AWS SecretAccessKey=', b64(40), (s) => `SecretAccessKey=${s}`),
  shape('AWS secret key, bare', b64(40).filter((s) => /[a-z]/.test(s.slice(3)) && /[A-Z]/.test(s.slice(3))), (s) => `aws configure set ${s} done`),
  shape('Slack bot token', fc.tuple(fc.stringMatching(/^[0-9]{12}$/), core(24)).map(([n, c]) => `${n}-${c}`), (s) => `token xoxb-1234567890-${s} rejected`),
  shape('Slack app token', core(30), (s) => `xapp-1-A0123-${s}`),
  shape('GitHub token ghp_', core(36), (s) => `git clone https://ghp_${s}@github.com/acme/x`),
  shape('GitHub github_pat_', core(60), (s) => `GH=github_pat_11AB${s}`),
  shape('JWT', fc.tuple(core(20), core(30)).map(([p, sig]) => `eyJzdWIiOi${p}.${sig}`), (s) => `cookie session=eyJhbGciOiJIUzI1NiJ9.${s}; Path=/`),
  shape('PEM private key', fc.array(b64(64), { minLength: 2, maxLength: 4 }).map((l) => l.join('\n')), (s) => `key:\n-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----\nnext`),
  shape("the process's own secret variable", fc.constant(ENV_SECRET), (s) => `restart failed (${s})`),
];

const WORDS = ['restart', 'failed:', 'connection', 'refused', 'at', 'billing-api', '\n', 'ERROR', '(see logs)', '—', 'db.internal', 'exit 1', '"', "'", '=', ':', 'é', '接続'];
const filler = fc.array(fc.constantFrom(...WORDS), { maxLength: 12 }).map((w) => w.join(' '));
const embedded = fc.tuple(filler, fc.oneof(...SHAPES.map(([, arb]) => arb)), filler).map(([a, s, b]) => ({ text: `${a} ${s.text} ${b}`, secret: s.secret }));

/** Pieces of 8 characters of the secret: none may survive (a redaction that stops at `/` or `@` leaves the rest). */
function pieces(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

const memoryEvidence = (message: string): EvidenceStore => ({
  put: async () => {
    throw new Error(message);
  },
});

/** Every output path, each given the text; returns what it produced. */
async function outputs(text: string, store: MemoryStore): Promise<Array<[string, string]>> {
  const lines: string[] = [];
  createLog('prop', (l) => lines.push(l)).warn(text, { reason: text, list: [text] });
  const base = sampleReport();
  const report = { ...base, verdict: { ...base.verdict, headline: text }, gaps: [{ source: 'dumps' as const, target: text, reason: text }], findings: base.findings.map((f) => ({ ...f, summary: text, evidence: [{ source: 'goroutines' as const, text }] })) };
  const view = { approval: { id: 'apr_1', incidentId: null, service: 'billing-api', subject: { action: 'restart' as const, target: { type: 'command' as const, argv: ['sh', '-c', text], timeoutSeconds: 5 } }, requestedBy: 'U1', requestedAt: new Date().toISOString(), expiresAt: new Date().toISOString(), state: 'failed' as const, history: [] }, approvers: { users: [], usergroup: null }, twoPersonRule: true };
  const evidence = await saveEvidence(memoryEvidence(text), 'billing-api:db-connections-high:20250101-000000-abcdef', [{ name: 'report.json', body: '{}' }]);
  const restart = restartNote({ status: 'failed', approval: view.approval, result: { outcome: 'failed', target: 'x', message: text, issued: true, startedAt: '', finishedAt: '', rollout: null, output: null }, evidence, verifyJobId: null } as unknown as Parameters<typeof restartNote>[0]);
  const entry = await store.appendAudit({ actor: 'leakhound', action: 'restart.failed', target: text, incidentId: null, result: text });
  const approval = await store.createApproval({ incidentId: null, service: 'billing-api', subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } }, requestedBy: 'U1', ttlMinutes: 5 });
  await store.transition(approval.id, 'requested', 'denied', 'U2', text);
  const history = (await store.getApproval(approval.id))!.history;
  return [
    ['redact', redact(text)],
    ['log line', lines.join('\n')],
    ['Slack report', JSON.stringify(renderReport(report, { incident: null }))],
    ['Slack progress', JSON.stringify(renderProgress({ service: 'billing-api', incidentId: null, alertName: text, steps: [{ stage: 'sessions', text, done: false }] }))],
    ['Slack approval step', JSON.stringify(renderApprovalStep(view, { kind: 'queue-failed', error: text }))],
    ['Slack restart note', JSON.stringify(restart)],
    ['Slack unmapped alarm', JSON.stringify(unmappedNote(text))],
    ['Slack error', JSON.stringify(renderError(text))],
    ['Slack sink fence', JSON.stringify(redactMessage(plainMessage(text)))],
    ['audit entry', JSON.stringify(entry)],
    ['approval history', JSON.stringify(history)],
    ['evidence metadata', JSON.stringify(evidence)],
    ['restart command output', outputScrubber({ PATH: '/bin' })(text)],
    ['quoted error body', quoteBody(text, 10_000)],
    ['CLI text', terminalText(text)],
    ['CLI error line', terminalLine(text)],
    ['CLI JSON', terminalJson({ text })],
  ];
}

const survived: string[] = [];
let checked = 0;
afterAll(() => console.log(`redaction property: ${SHAPES.length} shapes, ${checked} texts through 17 output paths; survived: ${survived.length}`));

describe('redaction', () => {
  it('names every shape it recognises', () => {
    expect(SHAPE_NAMES).toEqual(expect.arrayContaining(['url-userinfo', 'authorization-header', 'bearer-basic', 'secret-key-value', 'secret-line', 'command-line-flag', 'mysql-short-password-flag', 'go-mysql-dsn', 'aws-access-key-id', 'aws-secret-access-key', 'slack-token', 'github-token', 'jwt', 'pem-private-key', 'process-secrets']));
  });

  it.each(SHAPES)('%s: never survives any output path', async (_name, arb) => {
    process.env['LH_PROPERTY_TEST_TOKEN'] = ENV_SECRET;
    refreshProcessSecrets();
    try {
      const store = new MemoryStore();
      await fc.assert(
        fc.asyncProperty(fc.tuple(filler, arb, filler), async ([a, s, b]) => {
          const text = `${a} ${s.text} ${b}`;
          checked++;
          for (const [path, out] of await outputs(text, store)) {
            const left = pieces(s.secret).find((p) => out.includes(p));
            if (left) {
              survived.push(path);
              throw new Error(`${path}: "${left}" of the secret survived in ${JSON.stringify(out.slice(0, 300))}`);
            }
          }
        }),
        { numRuns: 25 },
      );
    } finally {
      delete process.env['LH_PROPERTY_TEST_TOKEN'];
      refreshProcessSecrets();
    }
  });

  it('several secrets of different shapes in one text: none survives redact', () => {
    process.env['LH_PROPERTY_TEST_TOKEN'] = ENV_SECRET;
    refreshProcessSecrets();
    try {
      fc.assert(
        fc.property(fc.array(embedded, { minLength: 2, maxLength: 5 }), (parts) => {
          const out = redact(parts.map((p) => p.text).join('\n'));
          for (const p of parts) for (const piece of pieces(p.secret)) expect(out).not.toContain(piece);
        }),
        { numRuns: 300 },
      );
    } finally {
      delete process.env['LH_PROPERTY_TEST_TOKEN'];
      refreshProcessSecrets();
    }
  });

  it('leaves ordinary text alone: function names, paths, SHAs, incident ids, English', () => {
    const ordinary = [
      'github.com/acme/billing/internal/store.(*Store).Transfer',
      '/usr/local/go/src/database/sql/sql.go:1234',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b',
      'billing-api:db-connections-high:20250501-120304-9f2c1a',
      'Basic authentication is set up; the bearer of bad news',
      'unmapped/DatabaseConnectionsHighOnPrimaryClusterReplica',
      'route=/api/v1/orders/{id} method=POST',
    ];
    for (const t of ordinary) expect(redact(t)).toBe(t);
  });

  it('keeps a path whose mktemp suffix is random, and still finds a token of either base64 alphabet beside words', () => {
    // Before, about one suffix in five made the demo's restart command read "command [redacted]".
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 6, maxLength: 6 }), fc.integer({ min: 1, max: 4_000_000 }), (suffix, pid) => {
        const path = `/tmp/leakhound-demo-${pid}-${suffix.join('')}/restart-billing-api`;
        expect(redact(`command ${path}`)).toBe(`command ${path}`);
      }),
      { numRuns: 2_000 },
    );
    const standard = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const urlSafe = 'AbCd1234EfGh5678IjKl9012MnOp3456QrSt7890-_xY';
    for (const text of [`key-${standard} done`, `dir/${urlSafe}/file-name done`]) {
      const out = redact(text);
      for (const piece of pieces(text.includes(standard) ? standard : urlSafe)) expect(out).not.toContain(piece);
    }
  });
});
