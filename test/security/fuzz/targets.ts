// Every parser of outside input, as a fuzz target: what arrives (generated, or a real fixture
// mutated), the parser's contract at its boundary, and inputs built to make a careless scanner
// or regular expression backtrack. bench/fuzz.bench.ts runs them by the hundred thousand;
// test/security/fuzz.test.ts runs a few hundred of each in `npm test`.
//
// A case "escapes" when the parser throws something its boundary does not promise (readDump
// may throw DumpFormatError, parseDatabaseUrl DatabaseUrlError, nothing else may throw at all),
// when the Slack handler answers 500, or when an answer breaks the contract around it (a
// password echoed, a literal left in a fingerprint, a message Slack would refuse).
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ALERT_SOURCES, parseAlerts, type AlertSource } from '../../../lib/alerts/index.ts';
import type { Catalog } from '../../../lib/catalog/model.ts';
import { parseCatalog } from '../../../lib/catalog/parse.ts';
import { DumpFormatError, findLeaks, readDump } from '../../../lib/goroutines/index.ts';
import type { JobInput, JobQueue } from '../../../lib/jobs/model.ts';
import { fingerprint } from '../../../lib/sessions/fingerprint.ts';
import { DatabaseUrlError, parseDatabaseUrl } from '../../../lib/sessions/target.ts';
import { parseLeakCommand, serviceNames } from '../../../lib/slack/app/leak-command.ts';
import { buttonTargetSchema, encodeTarget } from '../../../lib/slack/render/action-ids.ts';
import { createSlackLambdaHandler } from '../../../lib/slack/app/lambda-receiver.ts';
import type { SlackMessage } from '../../../lib/slack/render/block-kit.ts';
import { renderHelp, renderUnknownService, renderUnknownSubcommand } from '../../../lib/slack/render/messages.ts';
import { renderIncidentSummary, renderReportDetails } from '../../../lib/slack/render/report.ts';
import { redact } from '../../../lib/redact/index.ts';
import { logText } from '../../../lib/lambda/log.ts';
import type { Notification } from '../../../lib/slack/app/notifier.ts';
import { MemoryStore } from '../../../lib/store/memory.ts';
import { CATALOG_YAML, quietLogger, sampleReport, testCatalog } from '../../support/slack-harness.ts';
import { BOT_TOKEN, SIGNING_SECRET, apiGatewayEvent, blockActionBody, commandBody } from '../../support/slack-events.ts';
import { blockKitProblem } from '../../support/fake-slack.ts';
import { mutatedBytes, mutatedJson, mutatedText, type Json } from './mutate.ts';

/** A case broke the parser's contract. */
export class Escape extends Error {
  override name = 'Escape';
}

export interface Runner<T> {
  /** Feeds one case; throws only when something escaped the boundary. */
  run(input: T): Promise<void> | void;
  close?(): Promise<void>;
}

export interface FuzzTarget<T> {
  name: string;
  /** What is fuzzed, for the report. */
  what: string;
  arbitrary: fc.Arbitrary<T>;
  open(): Promise<Runner<T>>;
  size(input: T): number;
  /** Inputs of about `bytes` bytes, shaped to make a scanner or a regular expression backtrack. */
  adversarial: Record<string, (bytes: number) => T>;
}

const root = new URL('../../fixtures/', import.meta.url);
const readDir = (dir: string, ext: RegExp) =>
  readdirSync(new URL(dir, root))
    .filter((f) => ext.test(f))
    .sort()
    .map((f) => readFileSync(new URL(`${dir}${f}`, root)));

const describeError = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);
const repeatTo = (unit: string, bytes: number) => unit.repeat(Math.max(1, Math.ceil(bytes / unit.length))).slice(0, Math.max(bytes, unit.length));

// ---------------------------------------------------------------------------------------------
// Goroutine dumps: debug=2, debug=1, debug=0 (pprof, gzipped or not), SIGQUIT/panic tracebacks.

export type DumpCase = { kind: 'text'; data: string; maxBytes?: number } | { kind: 'bytes'; data: Uint8Array } | { kind: 'chunks'; data: string[] };

const DUMP_TEXTS = [...readDir('dumps/', /\.txt$/), ...readDir('handwritten/', /\.txt$/)].map((b) => b.toString('utf8'));
const PPROF_GZ = readFileSync(new URL('dumps/go119-debug0.pb.gz', root));
const PPROF_RAW = gunzipSync(PPROF_GZ);
const DUMP_TOKENS = [
  'goroutine ', 'goroutine 18 [select, 42 minutes]:\n', ' [', ']:\n', ', 999999 minutes', ', locked to thread', 'created by ', ' in goroutine 7\n',
  '\t', '\t/usr/lib/go/src/database/sql/sql.go:2202 +0x85\n', ' fp=0xc sp=0xc pc=0x1', 'database/sql.(*Tx).awaitDone(0xc000)\n',
  'database/sql.(*DB).conn(0x1, {0x2, 0x3}, 0x1)\n', '...additional frames elided...\n', '# labels: {"route":"/transfer", "method":"POST"}\n',
  '#\t0x4a1b2c\tdatabase/sql.(*Tx).awaitDone+0x85\t/usr/lib/go/src/database/sql/sql.go:2202\n', '1 @ 0x1 0x2 0x3\n', '100000 @ 0x1\n',
  'goroutine profile: total 5\n', 'goroutine profile: total 99999999999999999999\n', '\n\n', '\r\n', '(', ')', '{', '}', '[', ']', ':', '"',
  'panic: boom\n\n', 'fatal error: all goroutines are asleep\n', 'SIGQUIT: quit\nPC=0x1 m=0 sigcode=0\n', ' gp=0xc000 m=0 mp=0x1', '[originating from goroutine 1]:\n',
  ' (scan)', ' (durable)', ' (leaked)', ' synctest', '\u0000', '\uFFFD', '\u00e9', 'é'.repeat(30),
];

export const dumpTarget: FuzzTarget<DumpCase> = {
  name: 'dumps',
  what: 'readDump + findLeaks: debug=2, debug=1, pprof (gzip and raw), tracebacks, streamed in chunks',
  arbitrary: fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('text' as const), data: mutatedText(DUMP_TEXTS, DUMP_TOKENS), maxBytes: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }) }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(mutatedBytes([PPROF_RAW, PPROF_GZ]), fc.boolean())
        .map(([b, gz]) => ({ kind: 'bytes' as const, data: gz && !(b[0] === 0x1f && b[1] === 0x8b) ? new Uint8Array(gzipSync(b)) : b })),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), data: fc.uint8Array({ maxLength: 4000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), data: fc.string({ maxLength: 4000, unit: 'binary' }) }) },
    {
      weight: 2,
      arbitrary: fc.tuple(mutatedText(DUMP_TEXTS, DUMP_TOKENS), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 })).map(([text, sizes]) => {
        const chunks: string[] = [];
        for (let o = 0, i = 0; o < text.length; i++) {
          const n = sizes[i % sizes.length]!;
          chunks.push(text.slice(o, o + n));
          o += n;
        }
        return { kind: 'chunks' as const, data: chunks };
      }),
    },
  ),
  async open() {
    return {
      async run(c) {
        const input = c.kind === 'chunks' ? (async function* () { yield* c.data; })() : c.data;
        try {
          const dump = await readDump(input, c.kind === 'text' && c.maxBytes ? { maxBytes: c.maxBytes } : {});
          if (!(dump.goroutines >= 0) || !Array.isArray(dump.groups)) throw new Escape(`nonsense dump: ${dump.goroutines} goroutines`);
          findLeaks(dump);
        } catch (err) {
          if (err instanceof DumpFormatError) return;
          throw err instanceof Escape ? err : new Escape(describeError(err));
        }
      },
    };
  },
  size: (c) => (c.kind === 'bytes' ? c.data.length : c.kind === 'text' ? Buffer.byteLength(c.data) : c.data.reduce((n, s) => n + s.length, 0)),
  adversarial: {
    'one endless line': (n) => ({ kind: 'text', data: 'x'.repeat(n) }),
    'brackets in a header': (n) => ({ kind: 'text', data: `goroutine 1 [${'['.repeat(n)}]:\n` }),
    'endless call arguments': (n) => ({ kind: 'text', data: `goroutine 1 [select]:\n${'f('.repeat(n / 2)}\n` }),
    'label braces': (n) => ({ kind: 'text', data: `goroutine profile: total 1\n1 @ 0x1\n# labels: ${'{"'.repeat(n / 2)}\n` }),
    'many distinct stacks': (n) => {
      let s = '';
      for (let i = 0; s.length < n; i++) s += `goroutine ${i} [select, ${i} minutes]:\nmain.f${i}()\n\t/a.go:${i} +0x1\ncreated by main.g${i} in goroutine 1\n\t/b.go:1 +0x2\n\n`;
      return { kind: 'text', data: s };
    },
    'frames without locations': (n) => ({ kind: 'text', data: `goroutine 1 [select]:\n${repeatTo('database/sql.(*Tx).awaitDone()\n', n)}` }),
  },
};

// ---------------------------------------------------------------------------------------------
// Alarm and webhook payloads: SNS (Lambda records and HTTPS notifications), EventBridge,
// Alertmanager, Grafana.

export interface AlertCase {
  input: unknown;
  hint?: AlertSource;
}

const ALERT_TEXTS = readDir('alerts/', /\.json$/).map((b) => b.toString('utf8'));
const ALERT_DOCS = ALERT_TEXTS.map((t) => JSON.parse(t) as Json);
const JSON_TOKENS = ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u0000', 'null', 'true', '1e999', '-0', '"__proto__"', '"constructor"', '{"a":', '[[[[', ']]]]', '\\"', '\n'];

export const alertTarget: FuzzTarget<AlertCase> = {
  name: 'alerts',
  what: 'parseAlerts: SNS, EventBridge, Alertmanager, Grafana payloads (decoded and raw bodies, with and without the endpoint hint)',
  arbitrary: fc.oneof(
    { weight: 6, arbitrary: fc.record({ input: mutatedJson(ALERT_DOCS), hint: fc.option(fc.constantFrom(...ALERT_SOURCES), { nil: undefined }) }, { requiredKeys: ['input'] }) },
    { weight: 3, arbitrary: fc.record({ input: mutatedText(ALERT_TEXTS, JSON_TOKENS), hint: fc.option(fc.constantFrom(...ALERT_SOURCES), { nil: undefined }) }, { requiredKeys: ['input'] }) },
    { weight: 1, arbitrary: fc.record({ input: fc.jsonValue() }) },
    { weight: 1, arbitrary: fc.record({ input: fc.string({ unit: 'binary' }) }) },
  ),
  async open() {
    return {
      run({ input, hint }) {
        let r;
        try {
          r = parseAlerts(input, hint);
        } catch (err) {
          throw new Escape(`parseAlerts threw: ${describeError(err)}`);
        }
        if (r.ok) {
          for (const a of r.alerts) {
            if (typeof a.name !== 'string' || !Number.isFinite(Date.parse(a.time))) throw new Escape(`malformed alert: ${JSON.stringify(a).slice(0, 200)}`);
          }
          return;
        }
        if (!r.error.issues.length) throw new Escape('refused without naming an issue');
        const internal = r.error.issues.find((i) => i.message.startsWith('internal parser error'));
        if (internal) throw new Escape(`caught only by the last fence: ${internal.message.slice(0, 200)}`);
        if (r.error.message.length > 10_000) throw new Escape(`error message of ${r.error.message.length} characters (echoes the payload?)`);
      },
    };
  },
  size: (c) => (typeof c.input === 'string' ? Buffer.byteLength(c.input) : Buffer.byteLength(JSON.stringify(c.input) ?? '')),
  adversarial: {
    'nested arrays': (n) => ({ input: `${'['.repeat(n / 2)}${']'.repeat(n / 2)}` }),
    'nested objects in Message': (n) => ({ input: { Type: 'Notification', Message: `${'{"a":'.repeat(n / 5)}1${'}'.repeat(n / 5)}` } }),
    'many alerts': (n) => {
      const one = { status: 'firing', labels: { alertname: 'DBConnectionsHigh', service: 'billing-api', instance: 'db-1' }, annotations: {}, startsAt: '2026-01-01T00:00:00Z' };
      return { input: { alerts: Array(Math.max(1, Math.floor(n / JSON.stringify(one).length))).fill(one) }, hint: 'alertmanager' };
    },
    'long reason': (n) => {
      const doc = JSON.parse(ALERT_TEXTS.find((t) => t.includes('NewStateReason'))!) as { Records: [{ Sns: { Message: string } }] };
      const msg = JSON.parse(doc.Records[0].Sns.Message) as Record<string, unknown>;
      msg['NewStateReason'] = repeatTo('Threshold Crossed: 1 datapoint [97.0 (23/11/26 05:00:00)] ', n);
      doc.Records[0].Sns.Message = JSON.stringify(msg);
      return { input: JSON.stringify(doc) };
    },
    'quotes and backslashes': (n) => ({ input: `{"alerts":[{"labels":{"alertname":"${repeatTo('\\"', n)}"}}]}` }),
  },
};

// ---------------------------------------------------------------------------------------------
// Slack: button values, `/leak` text, and whole signed requests through the Bolt listeners.

const BUTTON_VALUES = ['i:billing-api:db-connections-high:20250501-120304-9f2c1a', 'a:apr_Xk3-9fQ2mZ0pLw1', 's:billing-api', 's:ledger', 'i:unmapped%2Fx:lb-5xx:20250501-000000-000000'];

export const buttonTarget: FuzzTarget<string> = {
  name: 'slack-button-values',
  what: 'buttonTargetSchema: the value of every button (incident, approval, service ids)',
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: mutatedText(BUTTON_VALUES, [':', 'i:', 'a:', 's:', '{', '"', '..', '/', '%', '\n', ' ', '\u0000', '<!channel>', '-', '_', '.']) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  ),
  async open() {
    return {
      run(value) {
        const r = buttonTargetSchema.safeParse(value);
        if (!r.success) return;
        // Whatever is accepted is exactly an id, nothing more: it encodes back to the same text.
        if (encodeTarget(r.data) !== value) throw new Escape(`accepted ${JSON.stringify(value).slice(0, 80)} as ${JSON.stringify(r.data).slice(0, 80)}`);
      },
    };
  },
  size: (v) => Buffer.byteLength(v),
  adversarial: {
    'long id': (n) => `i:${'a'.repeat(n)}`,
    'colons': (n) => `a:${':'.repeat(n)}`,
  },
};

const CATALOG = testCatalog();
/** Broadcasts never come from input; mentions of users only from ids the bot resolved itself. */
const BROADCAST = /<!(channel|here|everyone)/;
const ANY_MENTION = /<!(channel|here|everyone)|<@[UW]|<!subteam/;

function answerOf(cmd: ReturnType<typeof parseLeakCommand>, catalog: Catalog): SlackMessage | null {
  const names = serviceNames(catalog);
  if (cmd.kind === 'help') return renderHelp(names);
  if (cmd.kind === 'unknown-subcommand') return renderUnknownSubcommand(cmd.given, names);
  if (cmd.kind === 'unknown-service') return renderUnknownService(cmd.subcommand, cmd.given, names);
  return null;
}

function checkMessage(m: SlackMessage, what: string, pings: RegExp = ANY_MENTION): void {
  const problem = blockKitProblem(m.blocks);
  if (problem) throw new Escape(`${what}: Slack would refuse it (${problem})`);
  // plain_text (headers, button labels) is shown as typed: a "<!channel>" there pings nobody.
  const parsed = JSON.stringify(m, (_k, v: unknown) => ((v as { type?: unknown } | null)?.type === 'plain_text' ? undefined : v));
  if (pings.test(parsed)) throw new Escape(`${what}: pings someone`);
}

export const commandTarget: FuzzTarget<string> = {
  name: 'slack-command-text',
  what: 'parseLeakCommand + the answer rendered from it (valid Block Kit, no mention injected)',
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: mutatedText(['triage billing-api', 'restart ledger', 'status', 'help', 'sessions checkout', 'dump  BILLING-API  now', 'nope'], [' ', '\t', '\n', '\u00a0', '\u2028', '<!channel>', '<@U123>', '*', '`', '&', '<', '>', 'restart ', 'TRIAGE', '--help', BOT_TOKEN]) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 1000 }) },
  ),
  async open() {
    return {
      run(text) {
        const cmd = parseLeakCommand(text, CATALOG);
        if (cmd.kind === 'service' && !CATALOG.services.includes(cmd.service)) throw new Escape('a service outside the catalog');
        const answer = answerOf(cmd, CATALOG);
        if (answer) {
          checkMessage(answer, `answer to ${JSON.stringify(text).slice(0, 60)}`);
          if (JSON.stringify(answer).includes(BOT_TOKEN)) throw new Escape('the answer repeats a token pasted into the command');
        }
      },
    };
  },
  size: (t) => Buffer.byteLength(t),
  adversarial: {
    'whitespace': (n) => `${' \t'.repeat(n / 2)}x`,
    'one long word': (n) => `triage ${'a'.repeat(n)}`,
    'many words': (n) => repeatTo('restart billing-api ', n),
  },
};

export interface SlackRequestCase {
  body: string;
  contentType: string | null;
  /** Sign with the right secret (else a wrong one). */
  signed: boolean;
}

const ACTION_IDS = ['leak_restart', 'leak_terminate', 'leak_rerun', 'leak_silence', 'leak_approve', 'leak_deny', 'leak_unknown'];
const clickPayload = (actionId: string, value: string): Json =>
  JSON.parse(new URLSearchParams(blockActionBody({ user: 'UAPPROVER1', actionId, value })).get('payload')!) as Json;
const SLACK_PAYLOADS: Json[] = ACTION_IDS.flatMap((a) => BUTTON_VALUES.map((v) => clickPayload(a, v)));
const COMMAND_BODIES = ['triage billing-api', 'restart ledger', 'status', 'help', 'restart nope', 'sessions checkout'].map((t) => commandBody(t));
const FORM_TOKENS = ['&', '=', '%', '%00', '%zz', '+', 'payload=', 'text=', 'command=%2Fleak', 'user_id=', 'trigger_id=', 'ssl_check=1', 'type=url_verification', '&text=restart+billing-api'];

export const slackRequestTarget: FuzzTarget<SlackRequestCase> = {
  name: 'slack-requests',
  what: 'signed /leak commands and block_actions payloads through AwsLambdaReceiver and the Bolt listeners',
  arbitrary: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        body: mutatedJson(SLACK_PAYLOADS).map((p) => new URLSearchParams({ payload: JSON.stringify(p) }).toString()),
        contentType: fc.constant('application/x-www-form-urlencoded'),
        signed: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        body: mutatedText(COMMAND_BODIES, FORM_TOKENS),
        contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        signed: fc.constant(true),
      }),
    },
    { weight: 1, arbitrary: fc.record({ body: fc.oneof(fc.json(), fc.string({ unit: 'binary' })), contentType: fc.option(fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), { nil: null }), signed: fc.boolean() }) },
  ),
  async open() {
    let clock = Date.parse('2026-11-23T05:00:00Z');
    const store = new MemoryStore({ now: () => clock });
    const incident = (await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' })).incident!;
    const jobs: JobInput[] = [];
    const queue: JobQueue = { enqueue: async (job) => (jobs.push(job), { id: `job-${jobs.length}` }) };
    const problems: string[] = [];
    const notifier = {
      async send(ns: readonly Notification[]) {
        for (const n of ns) {
          try {
            checkMessage(n.message, `notification to ${n.to}`, BROADCAST);
          } catch (err) {
            problems.push(describeError(err));
          }
        }
      },
    };
    const logger = quietLogger();
    const errors = logger.errors;
    const handler = createSlackLambdaHandler({
      signingSecret: SIGNING_SECRET,
      token: BOT_TOKEN,
      store,
      queue,
      catalog: CATALOG,
      notifier,
      // Nothing here may reach a real Slack (user-group lookups): a closed port answers at once.
      slackApiUrl: 'http://127.0.0.1:9/api/',
      usergroupCacheMs: 60_000,
      now: () => clock,
      logger,
    });
    return {
      async run(c) {
        clock += 1000;
        const ev = apiGatewayEvent(c.body, c.signed ? {} : { secret: 'not-the-signing-secret' });
        if (c.contentType === null) delete ev.headers['content-type'];
        else ev.headers['content-type'] = c.contentType;
        errors.length = 0;
        problems.length = 0;
        let res;
        try {
          res = await handler(ev, {});
        } catch (err) {
          throw new Escape(`handler threw: ${describeError(err)}`);
        }
        if (![200, 400, 401, 404].includes(res.statusCode)) throw new Escape(`answered ${res.statusCode}`);
        if (!c.signed && res.statusCode === 200) throw new Escape('an unsigned request was answered 200');
        if (errors.length) throw new Escape(`logged an error: ${errors[0]!.slice(0, 200)}`);
        if (problems.length) throw new Escape(problems[0]!);
        if (res.body && res.statusCode === 200 && res.body.startsWith('{')) checkMessage(JSON.parse(res.body) as SlackMessage, 'command answer');
        void incident;
      },
    };
  },
  size: (c) => Buffer.byteLength(c.body),
  adversarial: {
    'long command text': (n) => ({ body: commandBody(`triage ${'a'.repeat(n)}`), contentType: 'application/x-www-form-urlencoded', signed: true }),
    'payload of nested arrays': (n) => ({ body: `payload=${encodeURIComponent(`${'['.repeat(n / 4)}${']'.repeat(n / 4)}`)}`, contentType: 'application/x-www-form-urlencoded', signed: true }),
    'many form fields': (n) => ({ body: repeatTo('a=1&', n) + commandBody('help'), contentType: 'application/x-www-form-urlencoded', signed: true }),
  },
};

// ---------------------------------------------------------------------------------------------
// Catalog files (YAML or JSON).

const CATALOG_TEXTS = [
  ...readDir('catalog/', /\.(ya?ml|json)$/).map((b) => b.toString('utf8')),
  readFileSync(new URL('../../../leakhound.example.yml', import.meta.url), 'utf8'),
  CATALOG_YAML,
];
const YAML_TOKENS = [
  ': ', '- ', '\n  ', '\n    - ', '{', '}', '[', ']', ',', '&a ', '*a', '<<: *a', '!!binary ', '!!js/function ', '!!python/object ', '"', "'", '|\n', '>-\n', '#', '%YAML 1.2\n', '---\n', '...\n',
  '? ', '~', 'null', '1e999', '0x1F', '.inf', 'env: X', 'url: postgres://u:Fz-pw-1@h/d', 'inline: "mysql://a:b@c/d"', '\t', '\u0000', '\uFEFF', 'services:', 'defaults:', 'restart:', 'kubernetes: { namespace: ../../etc, deployment: x }',
];

export const catalogTarget: FuzzTarget<string> = {
  name: 'catalog',
  what: 'parseCatalog: YAML and JSON catalog files with environment overrides',
  arbitrary: fc.oneof({ weight: 5, arbitrary: mutatedText(CATALOG_TEXTS, YAML_TOKENS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 2000 }) }),
  async open() {
    const env = { CHECKOUT_DATABASE_URL: 'postgres://app:Fz-pw-env@db/x', LEAKHOUND_DEADLINE_SECONDS: '7', LEAKHOUND_DUMP_MAX_BYTES: 'lots' };
    return {
      run(text) {
        let r;
        try {
          r = parseCatalog(text, 'fuzz.yml', { env });
        } catch (err) {
          throw new Escape(`parseCatalog threw: ${describeError(err)}`);
        }
        if (r.ok) return;
        if (!r.error.issues.length) throw new Escape('refused without naming an issue');
        const internal = r.error.issues.find((i) => i.message.startsWith('could not read catalog'));
        if (internal) throw new Escape(`caught only by the last fence: ${internal.message.slice(0, 200)}`);
        if (r.error.message.includes('Fz-pw-env')) throw new Escape('an error echoes a database password from the environment');
      },
    };
  },
  size: (t) => Buffer.byteLength(t),
  // Each shape stays under the 1 MiB cap, so the parser really reads it.
  adversarial: {
    'alias fan-out': (n) => {
      let s = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
      for (let i = 1; s.length < n - 200; i++) s += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]\n`;
      return s;
    },
    'nested flow collections': (n) => `services: ${'['.repeat(n / 2 - 20)}${']'.repeat(n / 2 - 20)}\n`,
    'many services': (n) => {
      let s = 'defaults: { slackChannel: "#x" }\nservices:\n';
      for (let i = 0; s.length < n - 200; i++) s += `  - name: svc-${i}\n    database: { engine: postgres, url: { env: DB_${i} } }\n`;
      return s;
    },
    'long quoted scalar': (n) => `defaults:\n  slackChannel: "${repeatTo('\\"x', n - 64)}"\n`,
  },
};

// ---------------------------------------------------------------------------------------------
// Database URLs (catalog, environment, Secrets Manager).

export interface UrlCase {
  url: string;
  /** The password planted in it (never echoed), or null for free-form input. */
  password: string | null;
}

const urlPart = (extra: string) => fc.string({ unit: fc.constantFrom(...`abcXYZ019-._~${extra}`.split('')), maxLength: 12 });
const plantedUrl: fc.Arbitrary<UrlCase> = fc
  .record({
    scheme: fc.constantFrom('postgres', 'postgresql', 'mysql', 'mariadb', 'POSTGRES', 'http', 'redis', ''),
    user: urlPart('%@:'),
    secret: fc.stringMatching(/^[A-Za-z0-9]{10}$/),
    around: fc.tuple(urlPart('%@:/#?![]$&\'()*+,;= '), urlPart('%@:/#?![]$&\'()*+,;= ')),
    encode: fc.boolean(),
    host: fc.oneof(fc.domain(), fc.ipV4(), fc.constant('[::1]'), fc.constant(''), urlPart('[]:%')),
    port: fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 99999 }).map((p) => `:${p}`), urlPart(':').map((p) => `:${p}`)),
    path: fc.oneof(fc.constant(''), urlPart('/%').map((p) => `/${p}`)),
    query: fc.oneof(fc.constant(''), fc.constantFrom('?sslmode=require', '?ssl=true', '?sslmode=verify-full&application_name=x', '?password=QUERYPW', '?x=%zz')),
  })
  .map((p) => {
    const password = `${p.around[0]}Pw${p.secret}${p.around[1]}`;
    const pw = p.encode ? encodeURIComponent(password) : password;
    return { url: `${p.scheme}://${p.user}:${pw}@${p.host}${p.port}${p.path}${p.query}`, password: `Pw${p.secret}` };
  });

export const databaseUrlTarget: FuzzTarget<UrlCase> = {
  name: 'database-urls',
  what: 'parseDatabaseUrl (+ redactUrl): a planted password never appears in an error or the redacted form',
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: plantedUrl },
    { weight: 2, arbitrary: mutatedText(['postgres://app:s3cret@db.internal:5432/billing?sslmode=require', 'mysql://root@127.0.0.1/x', 'mariadb://u:p@[::1]:3306/'], ['@', ':', '/', '%', '?', '#', '[', ']', ' ', '%40', '%zz', '\n']).map((url) => ({ url, password: null })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((url) => ({ url, password: null })) },
  ),
  async open() {
    return {
      run({ url, password }) {
        let said: string;
        try {
          const t = parseDatabaseUrl(url);
          said = `${t.redacted} ${t.host} ${t.database ?? ''}`;
          if (password && t.password.includes(password) && said.includes(password)) throw new Escape(`the redacted URL shows the password: ${t.redacted}`);
          if (!['postgres', 'mysql'].includes(t.engine) || !(t.port >= 0)) throw new Escape(`nonsense target ${JSON.stringify(t.redacted)}`);
          return;
        } catch (err) {
          if (err instanceof Escape) throw err;
          if (!(err instanceof DatabaseUrlError)) throw new Escape(`parseDatabaseUrl threw ${describeError(err)}`);
          said = err.message;
        }
        if (password && said.includes(password)) throw new Escape(`an error shows the password: ${said.slice(0, 200)}`);
      },
    };
  },
  size: (c) => Buffer.byteLength(c.url),
  adversarial: {
    'long host': (n) => ({ url: `postgres://u:p@${'a'.repeat(n)}/d`, password: null }),
    'at signs': (n) => ({ url: `postgres://${'@'.repeat(n)}`, password: null }),
  },
};

// ---------------------------------------------------------------------------------------------
// The query fingerprinter (raw statements from pg_stat_activity / PROCESSLIST).

export interface SqlCase {
  sql: string;
  dialect: 'postgres' | 'mysql';
  /** Literals planted in it; none may survive. */
  literals: string[];
}

const LIT = fc.nat(999_999).map((n) => `Zq${n}`);
const sqlPiece = (dialect: 'postgres' | 'mysql'): fc.Arbitrary<{ text: string; literal: string | null }> =>
  fc.oneof(
    fc.constantFrom('SELECT', 'UPDATE', 'accounts', 'SET', 'WHERE', 'x', '=', 'AND', 'IN', '(', ')', ',', '*', 'FROM', 't1', '"Quoted Col"', '`bq`', '::text', '->>', ';', '\n', '-', '+').map((text) => ({ text, literal: null })),
    LIT.map((l) => ({ text: `'${l} it''s'`, literal: l })),
    LIT.map((l) => ({ text: dialect === 'postgres' ? `E'${l}\\'x'` : `'${l}\\'x'`, literal: l })),
    LIT.map((l) => ({ text: dialect === 'postgres' ? `$$${l}$$` : `"${l}"`, literal: l })),
    LIT.map((l) => ({ text: dialect === 'postgres' ? `$q$ ${l} $q$` : `X'${l.length}'`, literal: dialect === 'postgres' ? l : null })),
    fc.integer({ min: 700_000_000, max: 799_999_999 }).map((n) => ({ text: String(n), literal: String(n) })),
    fc.integer({ min: 700_000_000, max: 799_999_999 }).map((n) => ({ text: `${n}.25e3`, literal: String(n) })),
    fc.array(LIT, { minLength: 1, maxLength: 30 }).map((ls) => ({ text: `(${ls.map((l) => `'${l}'`).join(', ')})`, literal: ls[ls.length - 1]! })),
    LIT.map((l) => ({ text: `/* ${l} */`, literal: l })),
    LIT.map((l) => ({ text: `-- ${l}\n`, literal: l })),
  );
const plantedSql: fc.Arbitrary<SqlCase> = fc.constantFrom('postgres' as const, 'mysql' as const).chain((dialect) =>
  fc.array(sqlPiece(dialect), { minLength: 1, maxLength: 40 }).map((pieces) => ({
    sql: pieces.map((p) => p.text).join(' '),
    dialect,
    literals: pieces.flatMap((p) => (p.literal ? [p.literal] : [])),
  })),
);
const RAW_SQL = [
  "UPDATE accounts SET balance = balance - 250.00 WHERE email = 'alice.private@example.com' AND card = '4111111111111111'",
  "SELECT * FROM invoices WHERE customer_ssn = '078-05-1120' AND id IN (1, 2, 3, 4, 5)",
  'SELECT $1::int, $tag$body$tag$, E\'\\x41\', U&\'\\0041\' FROM "T" /* c */ -- x',
];

export const fingerprintTarget: FuzzTarget<SqlCase> = {
  name: 'query-fingerprint',
  what: 'fingerprint: no planted literal (strings, dollar quotes, numbers, IN-lists, comments) survives, in both dialects',
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: plantedSql },
    { weight: 2, arbitrary: fc.tuple(mutatedText(RAW_SQL, ["'", '"', '`', '$$', '$a$', '\\', '/*', '*/', '--', '\n', 'E\'', 'IN (', ')', ',', '0x', '1e', '.']), fc.constantFrom('postgres' as const, 'mysql' as const)).map(([sql, dialect]) => ({ sql, dialect, literals: [] })) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary', maxLength: 500 }), fc.constantFrom('postgres' as const, 'mysql' as const)).map(([sql, dialect]) => ({ sql, dialect, literals: [] })) },
  ),
  async open() {
    return {
      run({ sql, dialect, literals }) {
        let fp: string | null;
        try {
          fp = fingerprint(sql, { dialect });
        } catch (err) {
          throw new Escape(`fingerprint threw: ${describeError(err)}`);
        }
        if (fp === null) return;
        const left = literals.find((l) => fp!.includes(l));
        if (left) throw new Escape(`literal ${left} survived in ${JSON.stringify(fp).slice(0, 200)}`);
      },
    };
  },
  size: (c) => Buffer.byteLength(c.sql),
  adversarial: {
    'unterminated quotes': (n) => ({ sql: `SELECT ${"'".repeat(n)}`, dialect: 'postgres', literals: [] }),
    'backslashes in MySQL strings': (n) => ({ sql: `SELECT '${'\\'.repeat(n)}`, dialect: 'mysql', literals: [] }),
    'dollar signs': (n) => ({ sql: `SELECT ${'$a'.repeat(n / 2)}`, dialect: 'postgres', literals: [] }),
    'comment openers': (n) => ({ sql: `SELECT ${'/*'.repeat(n / 2)}`, dialect: 'postgres', literals: [] }),
    'long IN-list': (n) => ({ sql: `SELECT * FROM t WHERE id IN (${repeatTo('1, ', n)}1)`, dialect: 'postgres', literals: [] }),
    'nested parentheses': (n) => ({ sql: `SELECT ${'('.repeat(n / 2)}1${')'.repeat(n / 2)}`, dialect: 'mysql', literals: [] }),
  },
};

// ---------------------------------------------------------------------------------------------
// Text from outside on its way out: the credential scrubbers (Slack's and the logs') and the
// Report renderer, which put dump labels, function names, error messages into messages.

export interface OutgoingTextCase {
  text: string;
  /** Secrets planted in it in a well-formed place (a URL's password, key=value, a token). */
  secrets: string[];
}

const SECRET_SHAPES: Array<(secret: string) => string> = [
  (x) => `postgres://app:${x}@db.internal:5432/app`,
  (x) => `mysql://root:${x}@10.0.0.1/ledger?ssl=true`,
  (x) => `PGPASSWORD=${x}`,
  (x) => `db_password=${x};`,
  (x) => `xoxb-1111-2222-${x}`,
];
const plantedText: fc.Arbitrary<OutgoingTextCase> = fc
  .array(fc.tuple(fc.string({ maxLength: 30 }), fc.option(fc.tuple(fc.constantFrom(...SECRET_SHAPES), fc.stringMatching(/^[A-Za-z0-9]{12}$/)), { nil: null })), { minLength: 1, maxLength: 8 })
  .map((parts) => ({
    text: parts.map(([filler, planted]) => (planted ? `${filler} ${planted[0](`Sx${planted[1]}`)} ` : filler)).join(''),
    secrets: parts.flatMap(([, planted]) => (planted ? [`Sx${planted[1]}`] : [])),
  }));
const REPORT = sampleReport();

export const outgoingTextTarget: FuzzTarget<OutgoingTextCase> = {
  name: 'outgoing-text',
  what: 'lib/redact, the log line and the Report renderer on outside text (labels, function names, errors): planted credentials removed, valid Block Kit',
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: plantedText },
    { weight: 1, arbitrary: mutatedText(['postgres://app:pw@db/x', 'token=abc', '<!channel> *bold* `code` &amp;', 'main.(*api).transfer'], [':', '//', '@', '=', '<', '>', '&', '`', '*', '_', '~', '\n', '-', '.']).map((text) => ({ text, secrets: [] })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 500 }).map((text) => ({ text, secrets: [] })) },
  ),
  async open() {
    return {
      run({ text, secrets }) {
        const scrubbed = [redact(text), logText(text, Number.MAX_SAFE_INTEGER)];
        const finding = REPORT.findings[0]!;
        const report = {
          ...REPORT,
          verdict: { ...REPORT.verdict, headline: text },
          findings: [{ ...finding, summary: text, culprit: { ...finding.culprit!, function: text, labels: { route: text } }, evidence: [{ source: 'goroutines' as const, text }] }],
          gaps: [{ source: 'dumps' as const, target: text, reason: text }],
        };
        const messages = [renderIncidentSummary(report, { incident: null }), renderReportDetails(report, { incident: null })];
        for (const m of messages) checkMessage(m, 'report', BROADCAST);
        const out = [...scrubbed, ...messages.map((m) => JSON.stringify(m))].join('\n');
        const left = secrets.find((x) => out.includes(x));
        if (left) throw new Escape(`planted secret ${left} left in ${JSON.stringify(text).slice(0, 160)}`);
      },
    };
  },
  size: (c) => Buffer.byteLength(c.text),
  adversarial: {
    'dashed run': (n) => ({ text: 'a-'.repeat(n / 2), secrets: [] }),
    'dotted run': (n) => ({ text: 'a.'.repeat(n / 2), secrets: [] }),
    'scheme separators': (n) => ({ text: repeatTo('x://', n), secrets: [] }),
    'a password that never ends': (n) => ({ text: `x://u:${'p'.repeat(n)}`, secrets: [] }),
    'key names': (n) => ({ text: repeatTo('PGPASSWORD', n), secrets: [] }),
    'markup': (n) => ({ text: repeatTo('<&*_`~>', n), secrets: [] }),
  },
};

export const FUZZ_TARGETS = [dumpTarget, alertTarget, buttonTarget, commandTarget, slackRequestTarget, catalogTarget, databaseUrlTarget, fingerprintTarget, outgoingTextTarget] as FuzzTarget<unknown>[];

