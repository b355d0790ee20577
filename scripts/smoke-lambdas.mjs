#!/usr/bin/env node
// Bundle smoke test, run by .ci/run under the Lambda runtime's Node (24) after `osls package`:
// each function's zip (.build/<fn>.zip, what serverless.yml deploys) is unzipped into a fresh
// directory with no node_modules in reach, and a fresh Node process imports its handler module
// and calls the handler with a minimal event that needs no AWS (no secret id, no store or queue
// call on the path taken). It proves that the bundle loads on that Node, that everything it
// needs is inside it, and that the handler answers as it should.
//
//   node scripts/smoke-lambdas.mjs [fn...]        (run it with the Node to test: .cache/node24/bin/node)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CATALOG = 'leakhound.example.yml';

// Only what configuration validation needs; none of it is ever contacted on the paths below.
const BASE_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'smoke-test-only',
  AWS_SECRET_ACCESS_KEY: 'smoke-test-only',
  LEAKHOUND_TABLE: 'leakhound-smoke',
  LEAKHOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/leakhound-smoke-jobs',
  SLACK_BOT_TOKEN: 'xoxb-smoke-test-token',
  SLACK_SIGNING_SECRET: 'smoke-signing-secret',
  POWERTOOLS_METRICS_NAMESPACE: 'LeakhoundSmoke',
};

const httpApi = (method, path, body, headers = {}) => ({
  version: '2.0',
  routeKey: `${method} ${path}`,
  rawPath: path,
  rawQueryString: '',
  headers: { host: 'smoke.execute-api.eu-west-1.amazonaws.com', ...headers },
  requestContext: {
    accountId: '123456789012',
    apiId: 'smoke',
    domainName: 'smoke.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'smoke',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'smoke' },
    requestId: 'smoke-request',
    routeKey: `${method} ${path}`,
    stage: '$default',
    time: '01/Jan/2026:00:00:00 +0000',
    timeEpoch: 1767225600000,
  },
  ...(body === null ? {} : { body }),
  isBase64Encoded: false,
});

/** Per function: the event, and what the answer must be (a predicate over it, and what it says). */
const CASES = {
  // An SNS record that is not an alarm: counted as bad and skipped, nothing stored.
  alarm: {
    event: { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'smoke-1', Message: 'not an alarm' } }] },
    expect: (r) => r?.records === 1 && r?.bad === 1,
    wants: '{ records: 1, bad: 1 }',
  },
  // /healthz builds the context (catalog, store, queue: no I/O) and counts the catalog's services.
  webhook: {
    event: httpApi('GET', '/healthz', null),
    expect: (r) => r?.statusCode === 200 && JSON.parse(r.body ?? '{}').status === 'ok',
    wants: '200 {"status":"ok"}',
  },
  // An unsigned request: refused before Bolt sees it.
  slack: {
    event: httpApi('POST', '/slack/events', 'command=%2Fleak&text=help', { 'content-type': 'application/x-www-form-urlencoded' }),
    expect: (r) => r?.statusCode === 401,
    wants: '401',
  },
  // A record that is not a job message: reported as the batch's one failure, nothing run.
  worker: {
    event: { Records: [{ messageId: 'smoke-msg', receiptHandle: 'rh', body: 'not a job', attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:leakhound-smoke-jobs', awsRegion: 'eu-west-1' }] },
    expect: (r) => JSON.stringify(r?.batchItemFailures) === JSON.stringify([{ itemIdentifier: 'smoke-msg' }]),
    wants: 'batchItemFailures [smoke-msg]',
  },
};

const context = (fn) => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: `leakhound-smoke-${fn}`,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:leakhound-smoke-${fn}`,
  memoryLimitInMB: '256',
  awsRequestId: `smoke-${fn}-request`,
  logGroupName: `/aws/lambda/leakhound-smoke-${fn}`,
  logStreamName: 'smoke',
});

/** Imports the handler in a fresh process of this Node, calls it, and prints its answer as the last line. */
async function invoke(dir, fn) {
  const entry = pathToFileURL(join(dir, 'functions', `${fn}.mjs`)).href;
  const script = `const m=await import(${JSON.stringify(entry)});
const ctx=${JSON.stringify(context(fn))};ctx.getRemainingTimeInMillis=()=>10000;
const r=await m.handler(${JSON.stringify(CASES[fn].event)},ctx);
process.stdout.write('\\n@@smoke '+JSON.stringify(r??null)+'\\n');`;
  const env = { PATH: process.env.PATH ?? '', HOME: dir, ...BASE_ENV, LEAKHOUND_CONFIG: join(dir, CATALOG), AWS_LAMBDA_FUNCTION_NAME: `leakhound-smoke-${fn}` };
  const { stdout, stderr } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env, timeout: 60_000, maxBuffer: 16 << 20 });
  const line = stdout.split('\n').find((l) => l.startsWith('@@smoke '));
  if (!line) throw new Error(`${fn}: the handler printed no answer\n${stdout}${stderr}`);
  const logs = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim() && !l.startsWith('@@smoke '));
  return { answer: JSON.parse(line.slice('@@smoke '.length)), logs };
}

async function main(names) {
  for (const fn of names) if (!CASES[fn]) throw new Error(`smoke-lambdas: no function ${fn} (known: ${Object.keys(CASES).join(', ')})`);
  console.log(`smoke-lambdas: Node ${process.version}`);
  let failed = 0;
  for (const fn of names) {
    const zip = join(ROOT, '.build', `${fn}.zip`);
    if (!existsSync(zip)) throw new Error(`smoke-lambdas: ${zip} does not exist: run \`npx osls package --stage ci\` (or npm run build:lambdas) first`);
    const dir = await mkdtemp(join(tmpdir(), `lh-smoke-${fn}-`));
    try {
      await exec('unzip', ['-q', zip, '-d', dir]);
      const started = performance.now();
      const { answer, logs } = await invoke(dir, fn);
      const ms = (performance.now() - started).toFixed(0);
      // Powertools' Logger and Metrics write JSON lines only; anything else is a stray console write.
      const stray = logs.filter((l) => {
        try {
          return typeof JSON.parse(l) !== 'object';
        } catch {
          return true;
        }
      });
      if (stray.length) {
        failed++;
        console.error(`  FAIL ${fn}: wrote lines that are not JSON:\n${stray.slice(0, 5).join('\n')}`);
      } else if (CASES[fn].expect(answer)) console.log(`  ok   ${fn}: ${JSON.stringify(answer).slice(0, 120)} (${ms} ms, import + call)`);
      else {
        failed++;
        console.error(`  FAIL ${fn}: wanted ${CASES[fn].wants}, got ${JSON.stringify(answer).slice(0, 400)}\n${logs.join('\n')}`);
      }
    } catch (err) {
      failed++;
      console.error(`  FAIL ${fn}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return failed ? 1 : 0;
}

const args = process.argv.slice(2);
main(args.length ? args : Object.keys(CASES)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
