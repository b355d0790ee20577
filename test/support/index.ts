// Shared test helpers, all in this folder (fixtures are in test/fixtures, the Go service that
// leaks in lib/demo/goservice). Import the module you need: each loads only its own parts. This
// index is the table of contents; each module is also reachable by its name here.

/** hand-written alert payloads (test/fixtures/alerts) by name */
export * as alertFixtures from './alert-fixtures.ts';
/** runs the real `leakhound` command from the sources */
export * as cli from './cli.ts';
/** drives the interactive dev console line by line */
export * as consoleSession from './console-session.ts';
/** the machine's PostgreSQL/MariaDB: reachability, sessions held in a given state */
export * as dbSessions from './db-sessions.ts';
/** replica servers for dump collection: fast, slow, hung, trickling, endless */
export * as dumpTargets from './dump-targets.ts';
/** an in-process DynamoDB-compatible server and fresh tables */
export * as dynalite from './dynalite.ts';
/** a Kubernetes API server at the wire level, every request kept */
export * as fakeKube from './fake-kube.ts';
/** the Slack Web API: Block Kit limits, 429s, 5xx, every call kept */
export * as fakeSlack from './fake-slack.ts';
/** the Lambda functions wired to memory store, recording queue and Slack sink; signed SNS */
export * as functionsHarness from './functions-harness.ts';
/** a store whose every call waits a random while */
export * as latencyStore from './latency-store.ts';
/** the production Log writing into an array */
export * as memoryLog from './memory-log.ts';
/** a real PgBouncer in front of the test PostgreSQL */
export * as pgbouncer from './pgbouncer.ts';
/** the real worker wired to store, in-process queue and fake Slack */
export * as reliabilityHarness from './reliability-harness.ts';
/** throw-away PostgreSQL databases with the billing-api schema */
export * as scratchDb from './scratch-db.ts';
/** signed Slack requests as API Gateway events */
export * as slackEvents from './slack-events.ts';
/** a catalog, Reports and the real Slack Lambda handler against fake Slack */
export * as slackHarness from './slack-harness.ts';
// capture-fixtures.ts is a script (re-captures test/fixtures/dumps from the Go service), not a helper.
