// Entry of the `leakhound` command: dispatches to one module per subcommand.
// Each subcommand returns its exit code; user errors are one line on stderr and exit 2.
import { CliError } from './errors.ts';
import { terminalLine, terminalText } from './output.ts';
import { errorMessage } from '../errors/index.ts';

type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./analyze.ts')).analyzeCommand,
  sessions: async () => (await import('./sessions.ts')).sessionsCommand,
  triage: async () => (await import('./triage.ts')).triageCommand,
  demo: async () => (await import('./demo.ts')).demoCommand,
  dev: async () => (await import('./dev.ts')).devCommand,
  watch: async () => (await import('./watch.ts')).watchCommand,
  postmortem: async () => (await import('./postmortem.ts')).postmortemCommand,
};

function usage(): string {
  return [
    'usage: leakhound <command> [options]',
    '',
    'commands:',
    '  analyze <file-or-url>... [--format text|json] [--base <earlier-dump>]',
    '      read goroutine dumps (debug=0/1/2, SIGQUIT/panic output) and name the leak',
    '  sessions --database <url> [--format text|json] [--min-age 30s]',
    '      who holds the database connections, for how long, doing what',
    '  triage --config <file> (--service <name> | --alert <file>) [--format text|json]',
    '      sessions + dumps + metrics under one deadline: one Report naming the culprit',
    '  demo [--format text|json]',
    '      the whole job on this machine: embedded PostgreSQL, a leaking service, an alarm, a triage',
    '  dev [--config <file> | --demo] [--store <file>] [--verify-after 2m] [--evidence <dir>]',
    '      the Slack app and its worker: Socket Mode with SLACK_APP_TOKEN, else a console printing what',
    '      Slack would get; the catalog from --config, ./leakhound.yml, or the demo environment',
    '',
    'Run `leakhound <command> --help` for the options of one command.',
  ].join('\n');
}

// The AWS SDK warns on stderr, on first use, that its releases after January 2027 will need Node
// 22; Node 20 is supported here, and the warning is noise for someone trying the demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Our own bug: one line (escaped, redacted), the stack only when asked for. */
function reportInternal(name: string, err: unknown): void {
  const message = errorMessage(err);
  console.error(terminalLine(`leakhound ${name}: internal error: ${message}`));
  if (process.env.LEAKHOUND_DEBUG) console.error(terminalText(err instanceof Error ? (err.stack ?? message) : message));
}

/** A failure outside the awaited work (an emitter's 'error', a rejected promise no one awaits): one line, exit 1. */
function onStray(name: string) {
  return (err: unknown) => {
    reportInternal(name, err);
    process.exit(1);
  };
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(terminalLine(`leakhound: unknown command "${name}" (known: ${Object.keys(commands).join(', ')})`));
    return 2;
  }
  const stray = onStray(name);
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
  try {
    const command = await load();
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(terminalLine(`leakhound ${name}: ${err.message}`));
      return err.exitCode;
    }
    // Anything else is our bug; still one line, no stack, unless asked for.
    reportInternal(name, err);
    return 1;
  }
}
