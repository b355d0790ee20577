// `leakhound watch --config <file> [--once] [--every 5m] [--state <file>]`: the scheduled watch
// on this machine. Each run reads every watched service (one read per database, debug=1 dumps),
// keeps the history in a JSON file, and prints what Slack would get when a leak is developing
// or came back after a restart, then one line per service.
import { join } from 'node:path';
import { z } from 'zod';
import { ConsoleSink } from '../slack/index.ts';
import { MemoryWatchStore } from '../store/index.ts';
import { formatHours, runWatch, type ServiceOutcome, type WatchRunResult } from '../watch/index.ts';
import { durationOption, oneOf, parseCliArgs, validOptions } from './args.ts';
import { CliError } from './errors.ts';
import { catalogOrFail } from './inputs.ts';
import { terminalJson, terminalText } from './output.ts';

const HELP = `usage: leakhound watch --config <file> [--once] [--every 5m] [--state <file>] [options]

Reads every service of the catalog that is watched (catalog key watch: false opts one out):
sessions idle in a transaction and their age, sessions held idle, awaitDone goroutines from
debug=1 dumps, each replica's pool metrics. A sustained rise (Theil–Sen slope, Mann–Kendall
test over defaults.watch.windowHours) that reaches max_connections within horizonHours prints a
"leak developing" message (then updates it); a leak back after a restart, a "regressed" note.
  --config   service catalog (YAML or JSON); default $LEAKHOUND_CONFIG
  --once     one run, then exit (default: every --every until Ctrl-C)
  --every    time between runs (default 5m)
  --state    history file (default .leakhound/watch.json)
  --min-age  sessions idle in a transaction this long count as leaked (default 30s)
  --format   text (default) or json (the run's outcomes)`;

const optionsSchema = z.object({
  config: z.string().min(1).optional(),
  once: z.boolean().optional(),
  every: durationOption.pipe(z.number().min(1000, 'must be at least 1s')).optional(),
  state: z.string().min(1).optional(),
  'min-age': durationOption.optional(),
  format: z.string().optional(),
  help: z.boolean().optional(),
});

export function outcomeLine(o: ServiceOutcome): string {
  switch (o.said) {
    case 'developing-posted':
    case 'developing-updated':
      return `${o.service}: leak developing (${o.said === 'developing-posted' ? 'posted' : 'updated'}): ${o.line.from} → ${o.line.to}${o.line.hoursToLimit !== null ? `, limit in ~${formatHours(o.line.hoursToLimit)}` : ''}`;
    case 'no-longer-growing':
      return `${o.service}: no longer growing (${o.line.reason})`;
    case 'regression-posted':
    case 'regression-updated':
      return `${o.service}: regressed after the restart: ${o.regression.leaked} leaked, ~${o.regression.perHour.toFixed(1)}/h`;
    case 'nothing':
      return `${o.service}: quiet (${o.reason})`;
  }
}

export function summaryText(r: WatchRunResult): string {
  const lines = [`watch run at ${r.at}: ${r.services} services, ${r.databaseReads} database reads, ${(r.elapsedMs / 1000).toFixed(1)} s`];
  lines.push(...r.outcomes.map((o) => `  ${outcomeLine(o)}`));
  if (r.skipped.length) lines.push(`  not read before the deadline: ${r.skipped.join(', ')}`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}

export const watchCommand = {
  summary: 'watch every service for a leak developing, and restarted ones for a regression',
  async run(argv: string[]): Promise<number> {
    const spec = {
      config: { type: 'string' },
      once: { type: 'boolean' },
      every: { type: 'string' },
      state: { type: 'string' },
      'min-age': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    } as const;
    const o = validOptions(optionsSchema, parseCliArgs(argv, spec, false).values);
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    const format = oneOf('format', o.format, ['text', 'json'] as const, 'text');
    const catalog = await catalogOrFail(o.config);
    const stateFile = o.state ?? join('.leakhound', 'watch.json');
    let store: MemoryWatchStore;
    try {
      store = await MemoryWatchStore.open(stateFile);
    } catch (err) {
      throw new CliError(`--state ${(err as Error).message}`);
    }
    const sink = new ConsoleSink();
    const every = o.every ?? 5 * 60_000;
    let stopped = false;
    let wake: (() => void) | null = null;
    const stop = () => {
      stopped = true;
      wake?.();
    };
    process.on('SIGINT', stop);
    try {
      for (;;) {
        const result = await runWatch({ catalog, store, sink, gather: { env: process.env } }, o['min-age'] !== undefined ? { minAgeMs: o['min-age'] } : {});
        if (format === 'json') process.stdout.write(terminalJson(result) + '\n');
        else process.stdout.write(terminalText(summaryText(result)));
        if (o.once || stopped) return result.problems.length ? 1 : 0;
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, every).unref();
        });
        if (stopped) return 0;
      }
    } finally {
      process.off('SIGINT', stop);
    }
  },
};
