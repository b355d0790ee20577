// `leakhound dev [--config file]` (npm run dev): the Slack app on this machine.
// With SLACK_APP_TOKEN and SLACK_BOT_TOKEN: the real app over Socket Mode (no public URL needed).
// Without them: a console loop reading `/leak …`, clicks and fake alarms from stdin, through the
// same Bolt listeners and worker, printing every message exactly as Slack would get it.
import { createInterface } from 'node:readline';
import type { Catalog } from '../catalog/model.ts';
import { InProcessJobQueue } from '../jobs/in-process.ts';
import { createSlackClient } from '../slack/client.ts';
import { createDevWorker } from '../slack/dev-worker.ts';
import { ACTIONS, type ActionName } from '../slack/ids.ts';
import { localClick, localCommand } from '../slack/local-receiver.ts';
import type { SlackMessage } from '../slack/message.ts';
import { PosterNotifier } from '../slack/notify.ts';
import { IncidentPoster } from '../slack/poster.ts';
import { ConsoleSink, WebApiSink, type SlackSink } from '../slack/sink.ts';
import { MemoryStore } from '../store/memory.ts';
import { parseCliArgs, parseDuration } from './args.ts';
import { CliError } from './errors.ts';
import { catalogOrFail, cloudwatchFromEnv } from './inputs.ts';

const HELP = `usage: leakhound dev [--config <file>] [--store <file>] [--user <U…>] [--min-age 30s]

With SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) set, runs the Slack app over Socket
Mode. Without them, reads lines from stdin and prints what Slack would get:
  /leak triage billing-api      any /leak command (triage|sessions|dump|restart <service>, status, help)
  alarm billing-api [ok]        an alarm firing (or resolving) for a service
  click restart <incident-id>   a button: restart, terminate, rerun, silence (incident id),
  click approve <approval-id>   approve, deny (approval id)
  as U0APPROVER                 act as another Slack user from now on
  quit
  --config  service catalog; default $LEAKHOUND_CONFIG
  --store   keep incidents and approvals in this JSON file between runs`;

const LOCAL_CHANNEL = 'CLOCALDEV1';

export const devCommand = {
  summary: 'the Slack app locally: Socket Mode, or a console that prints what Slack would get',
  async run(argv: string[]): Promise<number> {
    const { values } = parseCliArgs(
      argv,
      { config: { type: 'string' }, store: { type: 'string' }, user: { type: 'string' }, 'min-age': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      false,
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const catalog = await catalogOrFail(values.config);
    const store = values.store ? await MemoryStore.open(values.store) : new MemoryStore();
    const minAgeMs = values['min-age'] ? parseDuration('min-age', values['min-age']) : undefined;
    const appToken = process.env['SLACK_APP_TOKEN'];
    const botToken = process.env['SLACK_BOT_TOKEN'];
    if (appToken && botToken) return socketMode(catalog, store, appToken, botToken, minAgeMs);
    if (appToken || botToken) throw new CliError('Socket Mode needs both SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…)');
    return consoleLoop(catalog, store, values.user ?? 'ULOCALDEV1', minAgeMs);
  },
};

function channelOf(catalog: Catalog) {
  return (service: string) => catalog.services.find((s) => s.name === service)?.slackChannel ?? catalog.defaults.slackChannel;
}

function wire(catalog: Catalog, store: MemoryStore, sink: SlackSink, minAgeMs: number | undefined) {
  const poster = new IncidentPoster({ sink, store, channelOf: channelOf(catalog) });
  const queue = new InProcessJobQueue(null, {
    maxAttempts: 1,
    onError: (env, err) => console.error(`leakhound dev: ${env.job.type} job failed: ${err instanceof Error ? err.message : String(err)}`),
  });
  queue.setHandler(createDevWorker({ catalog, store, queue, poster, env: process.env, minAgeMs, cloudwatch: cloudwatchFromEnv(process.env, catalog.defaults.region) }));
  return { poster, queue };
}

async function socketMode(catalog: Catalog, store: MemoryStore, appToken: string, botToken: string, minAgeMs: number | undefined): Promise<number> {
  const { SocketModeReceiver } = await import('@slack/bolt');
  const { createSlackApp } = await import('../slack/app.ts');
  const { queue } = wire(catalog, store, new WebApiSink(createSlackClient(botToken), { secrets: [appToken] }), minAgeMs);
  const receiver = new SocketModeReceiver({ appToken });
  const app = createSlackApp({ receiver, token: botToken, store, queue, catalog, secrets: [appToken] });
  await app.start();
  console.log(`leakhound dev: connected to Slack over Socket Mode; /leak is live for ${catalog.services.length} services. Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.stop();
  queue.close();
  return 0;
}

async function consoleLoop(catalog: Catalog, store: MemoryStore, firstUser: string, minAgeMs: number | undefined): Promise<number> {
  const sink = new ConsoleSink();
  const { poster, queue } = wire(catalog, store, sink, minAgeMs);
  const { LocalReceiver } = await import('../slack/local-receiver.ts');
  const { createSlackApp } = await import('../slack/app.ts');
  const receiver = new LocalReceiver();
  // The token is never used for a request: messages go to the console, user-group lookups fail closed.
  createSlackApp({ receiver, token: 'xoxb-local-dev', store, queue, catalog, notifier: new PosterNotifier({ poster, store }), slackApiUrl: 'http://127.0.0.1:9/api/' });
  let user = firstUser;
  console.log(`leakhound dev: no Slack credentials, printing what Slack would get. Services: ${catalog.services.map((s) => s.name).join(', ')}. Type "help".`);

  const settle = async () => {
    await queue.drain();
    await poster.flush();
  };
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [word = '', ...rest] = line.split(/\s+/);
    try {
      if (word === 'quit' || word === 'exit') break;
      if (word === 'help') console.log(HELP);
      else if (word === 'as') user = rest[0] ?? user;
      else if (word === '/leak' || word === 'leak') {
        const acked = await receiver.deliver(localCommand(rest.join(' '), user, LOCAL_CHANNEL));
        if (acked && typeof acked === 'object') await sink.ephemeral(LOCAL_CHANNEL, user, acked as SlackMessage);
      } else if (word === 'alarm') await alarm(catalog, store, queue, poster, rest[0], rest[1] === 'ok');
      else if (word === 'click') {
        const [name, id] = rest;
        const actionId = ACTIONS[name as ActionName];
        if (!actionId || !id) throw new CliError(`click <${Object.keys(ACTIONS).join('|')}> <id>`);
        const approval = name === 'approve' || name === 'deny';
        const incident = approval ? null : await store.getIncident(id);
        const value = approval ? `a:${id}` : incident ? `i:${id}` : `s:${id}`;
        const thread = incident?.thread ?? null;
        await receiver.deliver(localClick(actionId, value, user, thread?.channel ?? LOCAL_CHANNEL, thread?.ts ?? null));
      } else console.log(`unknown: ${word} (type "help")`);
      await settle();
    } catch (err) {
      console.error(`leakhound dev: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  await settle();
  queue.close();
  return 0;
}

async function alarm(catalog: Catalog, store: MemoryStore, queue: InProcessJobQueue, poster: IncidentPoster, service: string | undefined, ok: boolean): Promise<void> {
  if (!service || !catalog.services.some((s) => s.name === service)) throw new CliError(`alarm <service> [ok] (services: ${catalog.services.map((s) => s.name).join(', ')})`);
  const r = await store.recordAlarm({ service, kind: 'db-connections-high', state: ok ? 'ok' : 'alarm' });
  console.log(`(alarm ${ok ? 'ok' : 'firing'} for ${service}: incident ${r.outcome}${r.incident ? ` ${r.incident.id}` : ''})`);
  if (!r.incident) return;
  if (r.outcome === 'resolved') await poster.resolved(r.incident);
  else if (r.outcome === 'opened' || r.outcome === 'reopened') {
    await queue.enqueue({ type: 'triage', service, incidentId: r.incident.id, trigger: r.outcome === 'opened' ? 'alarm' : 'reopen', requestedBy: null });
  }
}
