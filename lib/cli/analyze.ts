// `leakhound analyze <file-or-url>... [--format text|json] [--base <earlier-dump>]`
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  diffDumps,
  DumpFormatError,
  findLeaks,
  mergeGroups,
  readDump,
  type Dump,
  type DumpDiff,
  type Finding,
} from '../goroutines/index.ts';
import { describeError } from '../errors/index.ts';
import { dominantState } from '../goroutines/index.ts';
import { renderEvidencePage } from '../evidence-page/index.ts';
import { writePageFile } from '../evidence-page/index.ts';

export { dominantState };
import { oneOf, parseCliArgs, parseDuration } from './args.ts';
import { CliError } from './errors.ts';
import { renderAnalysisText, type Analysis, type AnalyzedInput } from './analyze-text.ts';
import { inputName, terminalJson, terminalText } from './output.ts';


const HELP = `usage: leakhound analyze <file-or-url>... [--format text|json] [--base <earlier-dump>] [--timeout 15s] [--html <out>]

Reads goroutine dumps (pprof debug=0/1/2, SIGQUIT or panic output; "-" for stdin), groups the
stacks and names the leak. Several inputs (replicas of one service) are read as one.
  --format   text (default) or json
  --base     an earlier dump of the same service: report which stacks grew
  --timeout  per-URL fetch timeout (default 15s)
  --html     also write the stacks as one self-contained HTML page (the evidence page) to <out>`;

export const analyzeCommand = {
  summary: 'read goroutine dumps and name the leak',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseCliArgs(argv, {
      format: { type: 'string' },
      base: { type: 'string' },
      timeout: { type: 'string' },
      html: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (positionals.length === 0) throw new CliError('no dump given (a file, a URL, or - for stdin); see --help');
    const format = oneOf('format', values.format, ['text', 'json'] as const, 'text');
    const timeoutMs = values.timeout ? parseDuration('timeout', values.timeout) : 15_000;

    const analysis = await analyzeSources(positionals, { base: values.base, timeoutMs });
    process.stdout.write(format === 'json' ? terminalJson(analysisJson(analysis)) + '\n' : terminalText(renderAnalysisText(analysis)));
    if (values.html) {
      const html = renderEvidencePage({
        report: null,
        title: `goroutines of ${analysis.inputs.map((i) => inputName(i.source)).join(', ')}`,
        replicas: analysis.inputs.map((i) => ({ replica: inputName(i.source), address: null, capturedAt: null, dump: i.dump })),
      });
      // stderr: stdout stays the analysis (json stays parseable).
      console.error(`evidence page: ${await writePageFile(values.html, html)}`);
    }
    return 0;
  },
};

export async function analyzeSources(sources: string[], opts: { base?: string | undefined; timeoutMs: number }): Promise<Analysis> {
  const inputs: AnalyzedInput[] = [];
  for (const source of sources) inputs.push({ source, dump: await readSource(source, opts.timeoutMs) });
  const merged = mergeDumps(inputs.map((i) => i.dump));
  const base = opts.base ? mergeDumps([await readSource(opts.base, opts.timeoutMs)]) : null;
  return { inputs, merged, findings: findLeaks(merged), diff: base ? diffDumps(base, merged) : null };
}

export function mergeDumps(dumps: Dump[]): Dump {
  if (dumps.length === 1) return dumps[0]!;
  return {
    // Replicas usually answer in one format; when they differ the first one's is reported.
    format: dumps[0]!.format,
    goroutines: dumps.reduce((n, d) => n + d.goroutines, 0),
    declaredTotal: dumps.every((d) => d.declaredTotal !== null) ? dumps.reduce((n, d) => n + d.declaredTotal!, 0) : null,
    truncated: dumps.some((d) => d.truncated),
    groups: mergeGroups(dumps.map((d) => d.groups)),
    preamble: dumps.find((d) => d.preamble)?.preamble ?? null,
    bytes: dumps.reduce((n, d) => n + d.bytes, 0),
  };
}

/** Reads one dump from a file, a URL or stdin; any failure is a one-line CliError naming the source (never its password). */
async function readSource(source: string, timeoutMs: number): Promise<Dump> {
  const name = inputName(source);
  try {
    if (source === '-') return await readDump(process.stdin);
    if (/^https?:\/\//i.test(source)) return await readUrl(source, name, timeoutMs);
    const info = await stat(source).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`${name}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    if (info.isDirectory()) throw new CliError(`${name}: is a directory, not a dump`);
    return await readDump(createReadStream(source, { highWaterMark: 256 << 10 }));
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof DumpFormatError) throw new CliError(`${name}: ${err.message}`);
    throw new CliError(`${name}: ${describeError(err)}`);
  }
}

async function readUrl(url: string, name: string, timeoutMs: number): Promise<Dump> {
  // fetch refuses a URL with credentials: they travel as Basic auth, as curl sends them.
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (target.username || target.password) {
    headers['authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers });
  } catch (err) {
    // Worded as triage words a dump source's failure ("connection refused"), not as a code.
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describeError(err);
    throw new CliError(`${name}: ${reason}`);
  }
  if (!res.ok || !res.body) throw new CliError(`${name}: HTTP ${res.status} ${res.statusText}`.trim());
  return readDump(res.body as unknown as AsyncIterable<Uint8Array>);
}

/** The documented JSON shape: format, goroutines, truncated, groups, findings (+ inputs, diff). */
export function analysisJson(a: Analysis) {
  return {
    format: a.merged.format,
    goroutines: a.merged.goroutines,
    truncated: a.merged.truncated,
    inputs: a.inputs.map(({ source, dump }) => ({
      source: inputName(source),
      format: dump.format,
      goroutines: dump.goroutines,
      declaredTotal: dump.declaredTotal,
      truncated: dump.truncated,
      bytes: dump.bytes,
      preamble: dump.preamble,
    })),
    findings: a.findings.map((f) => ({
      kind: f.kind,
      count: f.count,
      confidence: f.confidence,
      summary: f.summary,
      culprit: f.culprit,
      waitMinutes: f.waitMinutes,
    })),
    groups: a.merged.groups.map((g) => ({
      count: g.count,
      state: dominantState(g.states),
      states: g.states,
      waitMinutes: g.waitMinutes,
      labels: g.labels,
      frames: g.frames,
      createdBy: g.createdBy,
      ...(g.ancestry.length ? { ancestry: g.ancestry } : {}),
    })),
    ...(a.diff
      ? {
          diff: {
            goroutinesBefore: a.diff.goroutinesBefore,
            goroutinesAfter: a.diff.goroutinesAfter,
            basis: a.diff.basis,
            caveats: a.diff.caveats,
            grew: a.diff.grew.map((g) => ({ before: g.before, after: g.after, delta: g.delta, kind: g.kind, top: g.group.frames.slice(0, 3) })),
          },
        }
      : {}),
  };
}
