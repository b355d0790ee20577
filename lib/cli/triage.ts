// `leakhound triage --config <file> (--service <name> | --alert <file>) [--format text|json]`
import { findService } from '../catalog/index.ts';
import { triageAlert, triageService, type Report } from '../triage/index.ts';
import { oneOf, parseCliArgs, parseDuration } from './args.ts';
import { CliError } from './errors.ts';
import { terminalJson, terminalText } from './output.ts';
import { alertsFromFile, catalogOrFail, cloudwatchFromEnv } from './inputs.ts';
import { renderReportText } from './report-text.ts';
import { renderEvidencePage } from '../evidence-page/index.ts';
import { pagePathFor, writePageFile } from '../evidence-page/index.ts';
import type { TriageOptions } from '../triage/index.ts';

const HELP = `usage: leakhound triage --config <file> --service <name> [--alert <file>] [options]
       leakhound triage --config <file> --alert <file> [options]

Reads the service's database sessions and the goroutine dumps of its replicas (and CloudWatch
metrics when AWS credentials are present) under one deadline, and prints one Report.
With --alert alone, the services come from the catalog's alarm mapping.
  --config    service catalog (YAML or JSON); default $LEAKHOUND_CONFIG
  --format    text (default) or json
  --deadline  overall deadline (default the catalog's deadlineSeconds)
  --debug     dump level 0, 1 or 2 (default the service's; 2 adds wait ages)
  --growth    take a second round of dumps after this long and report what grew, e.g. 5s
  --min-age   sessions younger than this are not suspects (default 30s)
  --html      also write the evidence page (one self-contained HTML file) to <out>;
              with several services, one file each (<out>.<service>.html)

Exit status: 0 with a verdict, 3 when the verdict is UNKNOWN (the database or every dump could
not be read), 2 on bad usage or input.`;

export const triageCommand = {
  summary: 'triage a service or an alert into one Report',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseCliArgs(
      argv,
      {
        config: { type: 'string' },
        service: { type: 'string' },
        alert: { type: 'string' },
        format: { type: 'string' },
        deadline: { type: 'string' },
        debug: { type: 'string' },
        growth: { type: 'string' },
        'min-age': { type: 'string' },
        html: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      false,
    );
    void positionals;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.service && !values.alert) throw new CliError('give --service <name> or --alert <file> (see --help)');
    const format = oneOf('format', values.format, ['text', 'json'] as const, 'text');
    const debug = values.debug === undefined ? undefined : (Number(oneOf('debug', values.debug, ['0', '1', '2'] as const, '1')) as 0 | 1 | 2);
    const catalog = await catalogOrFail(values.config);
    const opts = {
      deadlineMs: values.deadline ? parseDuration('deadline', values.deadline) : undefined,
      debug,
      growthAfterMs: values.growth ? parseDuration('growth', values.growth) : undefined,
      minAgeMs: values['min-age'] ? parseDuration('min-age', values['min-age']) : undefined,
    };
    const deps = { env: process.env, cloudwatch: cloudwatchFromEnv(process.env, catalog.defaults.region) };

    const reports: Report[] = [];
    // The raw evidence behind each Report, in order, for --html (an unmapped alert has none).
    const gathered: Gathered[] = [];
    const withGathered = { ...opts, onGathered: values.html ? (g: Gathered['g'], service: string) => void gathered.push({ g, service }) : undefined };
    const alerts = values.alert ? await alertsFromFile(values.alert) : [null];
    if (values.service) {
      const service = findService(catalog, values.service);
      if (!service) throw new CliError(`no service "${values.service}" in ${catalog.file} (known: ${catalog.services.map((s) => s.name).join(', ')})`);
      for (const alert of alerts) reports.push(await triageService({ ...withGathered, catalog, service, alert: alert ? { ...alert, service: service.name } : null }, deps));
    } else {
      for (const alert of alerts) reports.push(...(await triageAlert(catalog, alert!, deps, withGathered)));
    }
    if (format === 'json') process.stdout.write(terminalJson(reports.length === 1 ? reports[0] : reports) + '\n');
    else process.stdout.write(terminalText(reports.map(renderReportText).join('\n')));
    if (values.html) await writePages(values.html, reports, gathered);
    // 3: the evidence could not be read, so there is no verdict to act on (as `sessions` does).
    return reports.some((r) => r.verdict.kind === 'unknown') ? 3 : 0;
  },
};

type Gathered = { g: Parameters<NonNullable<TriageOptions['onGathered']>>[0]; service: string };

async function writePages(out: string, reports: Report[], gathered: Gathered[]): Promise<void> {
  // Services are triaged side by side: each Report takes the first evidence of its service.
  // Unmapped and resolved alerts have nothing behind them but the Report.
  for (const report of reports) {
    const at = report.verdict.restsOn ? gathered.findIndex((x) => x.service === report.service) : -1;
    const g = at >= 0 ? gathered.splice(at, 1)[0]!.g : undefined;
    const html = renderEvidencePage({
      report,
      snapshot: g?.snapshot ?? null,
      replicas: (g?.dumps?.replicas ?? []).map((r) => ({ replica: r.replica, address: r.address, capturedAt: r.capturedAt, dump: r.dump })),
    });
    console.error(`evidence page: ${await writePageFile(pagePathFor(out, report.service, reports.length > 1), html)}`);
  }
}
