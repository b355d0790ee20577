// `leakhound dev` without Slack credentials: each line typed is what Slack (a slash command, a
// button click) or CloudWatch (an alarm) would deliver, handed to the same Bolt listeners and the
// same worker as production; every message they send is printed as Slack would show it.
import { z } from 'zod';
import type { Catalog } from '../catalog/index.ts';
import { createSlackApp } from '../slack/index.ts';
import { ACTIONS, type ActionName } from '../slack/index.ts';
import { LocalReceiver, localClick, localCommand, type ButtonPlace } from '../slack/index.ts';
import type { SlackMessage } from '../slack/index.ts';
import { PosterNotifier } from '../slack/index.ts';
import type { FileUpload, PostTarget, SlackSink } from '../slack/index.ts';
import type { Store } from '../store/index.ts';
import { CliError } from './errors.ts';
import type { LocalWorker } from './local-worker.ts';
import { errorMessage } from '../errors/index.ts';

/** The channel commands are typed in. */
export const LOCAL_CHANNEL = 'CLOCALDEV1';

export const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as U0DEMO2');

export const CONSOLE_HELP = `Lines you can type:
  alarm <service> [ok]          an alarm firing (or back to OK) for a service, as CloudWatch would send it
  /leak triage <service>        any /leak command: triage|sessions|dump|restart <service>, status, help
  click restart <incident-id>   a button: restart, terminate, rerun, silence (on an incident's message),
  click approve <approval-id>   approve, deny (on an approval request)
  as <user>                     act as another Slack user from now on (approvers are in the catalog)
  quit                          (or end of input)`;

/** Remembers where each button was shown, so a click names the message it is on, as Slack's does. */
export class ButtonMap implements SlackSink {
  private readonly places = new Map<string, ButtonPlace>();
  constructor(private readonly inner: SlackSink) {}

  where(value: string): ButtonPlace | null {
    return this.places.get(value) ?? null;
  }

  private note(message: SlackMessage, place: ButtonPlace): void {
    for (const block of message.blocks) {
      if (block.type !== 'actions') continue;
      for (const e of block.elements) if (e.type === 'button' && e.value) this.places.set(e.value, place);
    }
  }

  async post(target: PostTarget, message: SlackMessage) {
    const posted = await this.inner.post(target, message);
    this.note(message, { channel: posted.channel, messageTs: posted.ts, threadTs: target.threadTs ?? null });
    return posted;
  }

  async update(channel: string, ts: string, message: SlackMessage) {
    await this.inner.update(channel, ts, message);
    const known = [...this.places.values()].find((p) => p.channel === channel && p.messageTs === ts);
    this.note(message, { channel, messageTs: ts, threadTs: known?.threadTs ?? null });
  }

  async ephemeral(channel: string, user: string, message: SlackMessage, threadTs?: string) {
    await this.inner.ephemeral(channel, user, message, threadTs);
    this.note(message, { channel, messageTs: null, threadTs: threadTs ?? null });
  }

  delete(channel: string, ts: string) {
    return this.inner.delete(channel, ts);
  }

  upload(file: FileUpload) {
    return this.inner.upload(file);
  }
}

export interface ConsoleCommand {
  help: string;
  /** Returns what to tell the person. */
  run: () => Promise<string>;
}

export interface ConsoleOptions {
  catalog: Catalog;
  store: Store;
  worker: LocalWorker;
  /** The sink the worker writes to (the console's, wrapped). */
  buttons: ButtonMap;
  user: string;
  /** What is typed, line by line (readline over stdin); ends at the end of input. */
  lines: AsyncIterable<string>;
  /** Lines for the person at the console (not Slack messages), and what went wrong with a line. */
  say: (line: string) => void;
  warn: (line: string) => void;
  /** Extra console commands (the demo environment's `leak`). */
  extra?: Record<string, ConsoleCommand>;
}

/** Reads lines until `quit` or the end of input; resolves when what they started is done. */
export async function runConsole(o: ConsoleOptions): Promise<void> {
  const { catalog, store, worker } = o;
  const receiver = new LocalReceiver();
  // The token is never used for a request: messages go to the console, user-group lookups fail closed.
  createSlackApp({
    receiver,
    token: 'xoxb-local-dev',
    store,
    queue: worker.queue,
    catalog,
    notifier: new PosterNotifier({ poster: worker.poster, store }),
    slackApiUrl: 'http://127.0.0.1:9/api/',
    pageLinker: worker.deps.pageLinker ?? null,
  });
  let user = o.user;
  const services = catalog.services.map((s) => s.name);

  const alarm = async (service: string | undefined, state: string | undefined) => {
    if (!service || !services.includes(service) || (state !== undefined && state !== 'ok')) throw new CliError(`alarm <service> [ok] (services: ${services.join(', ')})`);
    const r = await worker.alarm(service, state !== 'ok');
    const job = r.job === 'triage' ? '; triage queued' : r.job === 'resolved' ? '; marking it resolved' : r.outcome === 'joined' ? ' (triaged again at most every 15 min)' : '';
    o.say(`(alarm ${state === 'ok' ? 'back to OK' : 'firing'} for ${service}: incident ${r.outcome}${r.incidentId ? ` ${r.incidentId}` : ''}${job})`);
  };

  const click = async (name: string | undefined, id: string | undefined) => {
    const actionId = ACTIONS[name as ActionName];
    if (!actionId || !id) throw new CliError(`click <${Object.keys(ACTIONS).join('|')}> <id>`);
    const approval = name === 'approve' || name === 'deny';
    const incident = approval ? null : await store.getIncident(id);
    const value = approval ? `a:${id}` : incident ? `i:${id}` : `s:${id}`;
    // Where the button is; else (a message of an earlier run) the incident's top message.
    const place = o.buttons.where(value) ?? { channel: incident?.thread?.channel ?? LOCAL_CHANNEL, messageTs: incident?.thread?.ts ?? null, threadTs: null };
    await receiver.deliver(localClick(actionId, value, user, place));
  };

  for await (const raw of o.lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [word = '', ...rest] = line.split(/\s+/);
    if (word === 'quit' || word === 'exit') break;
    try {
      if (word === 'help') o.say([CONSOLE_HELP, ...Object.entries(o.extra ?? {}).map(([k, v]) => `  ${k.padEnd(30)}${v.help}`)].join('\n'));
      else if (word === 'as') {
        const next = slackUserId.safeParse(rest[0]);
        if (!next.success) throw new CliError(`as <user>: ${next.error.issues[0]!.message}`);
        user = next.data;
        o.say(`(you are ${user} now)`);
      } else if (word === '/leak' || word === 'leak') {
        const acked = await receiver.deliver(localCommand(rest.join(' '), user, LOCAL_CHANNEL));
        if (acked && typeof acked === 'object') await o.buttons.ephemeral(LOCAL_CHANNEL, user, acked as SlackMessage);
      } else if (word === 'alarm') await alarm(rest[0], rest[1]);
      else if (word === 'click') await click(rest[0], rest[1]);
      else if (o.extra?.[word]) o.say(await o.extra[word]!.run());
      else o.say(`unknown: ${word} (type "help")`);
      await worker.settled();
    } catch (err) {
      o.warn(`leakhound dev: ${errorMessage(err)}`);
    }
  }
  await worker.settled();
}
