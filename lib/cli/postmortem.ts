// `leakhound postmortem <incident|service> [--store <file>] [--evidence <dir>] [--out <file>]`:
// the Markdown postmortem draft of an incident recorded by `leakhound dev` (its --store file and
// --evidence directory), printed or written to a file, and saved beside the evidence.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { evidenceReaderOf, generatePostmortem } from '../postmortem/index.ts';
import { DirectoryEvidenceStore } from '../remediation/index.ts';
import { MemoryStore } from '../store/index.ts';
import { parseCliArgs, validOptions } from './args.ts';
import { CliError } from './errors.ts';
import { catalogOrFail } from './inputs.ts';
import { terminalText } from './output.ts';

const HELP = `usage: leakhound postmortem <incident-id | service> [--store <file>] [--evidence <dir>] [--out <file>]

Drafts a Markdown postmortem of an incident: summary, timeline from the audit log (alarm,
triage, approvals, restart, verification, resolve, who did what), impact, root cause (culprit,
signature, evidence, query fingerprints), remediation taken and follow-ups for the leak's
signature. A service name means its latest incident. The draft is also saved beside the
evidence as POSTMORTEM.md.
  --store     the incident store file (leakhound dev --store); required
  --evidence  the evidence directory (leakhound dev --evidence; default $TMPDIR/leakhound-evidence)
  --config    service catalog, only checked (so a typo in the service name is caught)
  --out       write the Markdown here instead of printing it`;

const optionsSchema = z.object({
  store: z.string().min(1).optional(),
  evidence: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  help: z.boolean().optional(),
});

export const postmortemCommand = {
  summary: 'draft the postmortem of an incident',
  async run(argv: string[]): Promise<number> {
    const spec = { store: { type: 'string' }, evidence: { type: 'string' }, config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
    const { values, positionals } = parseCliArgs(argv, spec, true);
    const o = validOptions(optionsSchema, values);
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new CliError('give one incident id or service name (see --help)');
    if (!o.store) throw new CliError('give --store <file>: the store `leakhound dev --store` kept the incident in');
    if (o.config) await catalogOrFail(o.config);
    let store: MemoryStore;
    try {
      store = await MemoryStore.open(o.store);
    } catch (err) {
      throw new CliError(`--store ${(err as Error).message}`);
    }
    const evidenceDir = resolve(o.evidence ?? join(tmpdir(), 'leakhound-evidence'));
    const saved = new DirectoryEvidenceStore(evidenceDir);
    const result = await generatePostmortem({ store, evidence: evidenceReaderOf(saved), save: saved }, target);
    if (!result.ok) throw new CliError(result.error, 1);
    for (const p of result.problems) process.stderr.write(terminalText(`leakhound postmortem: note: ${p}\n`));
    if (o.out) {
      await writeFile(o.out, result.postmortem.markdown);
      process.stderr.write(terminalText(`leakhound postmortem: wrote ${o.out}${result.saved ? ` (also saved as ${result.saved.location})` : ''}\n`));
    } else process.stdout.write(terminalText(result.postmortem.markdown));
    return 0;
  },
};
