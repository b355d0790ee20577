// `leakhound demo` (npm run demo): the whole job on a fresh machine with no cloud account.
// The demo environment (an embedded PostgreSQL and a service that leaks connections), a
// CloudWatch alarm through the same parsing, mapping and triage path as production, and the full
// Report printed. Cleans up after itself, also on Ctrl-C.
import { z } from 'zod';
import { parseAlerts } from '../alerts/index.ts';
import { rdsConnectionsAlarmEvent } from '../demo/index.ts';
import { DEMO_MAX_CONNECTIONS, DEMO_MIN_AGE_MS, DEMO_RDS_INSTANCE, startDemoEnvironment, type DemoEnvironment } from '../demo/index.ts';
import { triageAlert } from '../triage/index.ts';
import { parseCliArgs, validOptions } from './args.ts';
import { CliError } from './errors.ts';
import { terminalJson, terminalText } from './output.ts';
import { renderReportText } from './report-text.ts';
import { dim } from './style.ts';
import { errorMessage } from '../errors/index.ts';

const HELP = `usage: leakhound demo [--format text|json]

Starts an embedded PostgreSQL and a leaking service, sends a CloudWatch alarm through the
production path and prints the triage. Needs no cloud account; uses Go when installed.
  --format  text (default) or json (the Report; the steps then go to stderr)`;

const optionsSchema = z.object({
  help: z.boolean().optional(),
  format: z.enum(['text', 'json'], { error: 'must be text or json' }).default('text'),
});

export const demoCommand = {
  summary: 'the whole triage on this machine',
  async run(argv: string[]): Promise<number> {
    const { values } = parseCliArgs(argv, { help: { type: 'boolean', short: 'h' }, format: { type: 'string' } }, false);
    const options = validOptions(optionsSchema, values);
    if (options.help) {
      console.log(HELP);
      return 0;
    }
    const json = options.format === 'json';
    const out = json ? process.stderr : process.stdout;
    const step = (line: string) => out.write(`${dim(`> ${line}`, out)}\n`);

    let env: DemoEnvironment | undefined;
    const cleanup = async () => {
      step('cleaning up: stopping the service and the database');
      await env?.stop();
    };
    const onSignal = () => {
      void cleanup().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      try {
        env = await startDemoEnvironment(step);
      } catch (err) {
        throw new CliError(`could not start the demo environment: ${errorMessage(err)}`, 1);
      }
      await new Promise((r) => setTimeout(r, DEMO_MIN_AGE_MS + 200)); // let the leaked sessions age
      const event = rdsConnectionsAlarmEvent({ instance: DEMO_RDS_INSTANCE, value: DEMO_MAX_CONNECTIONS - 3, threshold: 5 });
      step(`alarm: CloudWatch "${DEMO_RDS_INSTANCE}-db-connections-high" (AWS/RDS DatabaseConnections) delivered by SNS`);
      const parsed = parseAlerts(event);
      if (!parsed.ok) throw new CliError(`demo alarm did not parse: ${parsed.error.message}`, 1);

      step('triage: reading sessions, fetching dumps (in parallel, 8 s deadline)');
      const reports = await triageAlert(env.catalog, parsed.alerts[0]!, { env: process.env, cloudwatch: null }, {
        minAgeMs: DEMO_MIN_AGE_MS,
        onProgress: (p) => {
          if (p.done) step(`  ${p.text}`);
        },
      });
      if (json) process.stdout.write(terminalJson(reports) + '\n');
      else for (const r of reports) process.stdout.write('\n' + terminalText(renderReportText(r)) + '\n');
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await cleanup();
    }
  },
};
