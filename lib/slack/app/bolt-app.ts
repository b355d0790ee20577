// The Bolt app: `/leak` and the incident/approval buttons. The receiver decides the transport
// (AwsLambdaReceiver on Lambda, Socket Mode locally); Bolt verifies signatures and timestamps.
// Every listener validates its payload with zod, acks, claims the request in the store (so a
// retried delivery does nothing twice) and hands the work to the queue. None awaits triage.
import { DeadlineError, errorMessage, within } from '../../errors/index.ts';
import { redact } from '../../redact/index.ts';
import { App, LogLevel, type Logger, type Receiver } from '@slack/bolt';
import { z } from 'zod';
import type { Catalog } from '../../catalog/index.ts';
import type { Meter } from '../../lambda/index.ts';
import type { Store } from '../../store/index.ts';
import { LISTENER_RETRY, createSlackClient } from '../post/web-client.ts';
import { parseLeakCommand, serviceNames } from './leak-command.ts';
import { ACTIONS, buttonTargetSchema, type ButtonTarget } from '../render/action-ids.ts';
import { decide, onRerun, onSilence, onTerminate, queueTriage, requestRestart, type Click, type InteractionDeps } from './interactions.ts';
import { plainMessage, type SlackMessage } from '../render/block-kit.ts';
import { renderError, renderHelp, renderStatus, renderUnknownService, renderUnknownSubcommand } from '../render/messages.ts';
import { PosterNotifier } from '../post/notify.ts';
import type { JobQueue, Notifier } from './notifier.ts';
import { IncidentPoster } from '../post/poster.ts';
import { WebApiSink, redactMessage } from '../post/sink.ts';
import { onPostmortemClick, queuePostmortem } from './postmortem.ts';
import { UsergroupMembers } from './usergroups.ts';
import type { PageLinker } from '../../evidence-page/index.ts';
import { pageAnswer } from '../render/evidence-page-note.ts';
import { PAGE_BUTTON_ACTION } from '../../evidence-page/index.ts';

export interface SlackAppOptions {
  receiver: Receiver;
  /** Bot token (xoxb-…). */
  token: string;
  store: Store;
  queue: JobQueue;
  catalog: Catalog;
  /** Default: post through the Web API right after the ack (see notifier.ts). */
  notifier?: Notifier;
  /** Values that must never appear in a message (the bot token is always one). */
  secrets?: readonly string[];
  /** The bot's ids, if known (only events from ourselves would need them). */
  botId?: string;
  botUserId?: string;
  /** Tests point the Web API at a local server. */
  slackApiUrl?: string;
  /** How long a listener may spend on the store and the queue before it answers anyway. */
  listenerBudgetMs?: number;
  usergroupCacheMs?: number;
  now?: () => number;
  logger?: Logger;
  logLevel?: LogLevel;
  /** Approvals requested and decided (Powertools Metrics in Lambda). */
  meter?: Meter;
  /** Issues links to evidence pages (`/leak evidence`); without it the command says it is not set up. */
  pageLinker?: PageLinker | null;
}

/** Slack retries are delivered within minutes; a claimed request id is remembered for 10. */
export const REQUEST_CLAIM_SECONDS = 600;
export const DEFAULT_LISTENER_BUDGET_MS = 2_000;

const slackId = z.string().regex(/^[A-Z0-9]{2,20}$/, 'not a Slack id');

const commandSchema = z.object({
  command: z.string(),
  text: z.string().max(1000).default(''),
  user_id: slackId,
  channel_id: slackId,
  trigger_id: z.string().min(1).max(200),
});

const actionBodySchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: slackId }),
  container: z
    .object({
      message_ts: z.string().max(32).optional(),
      channel_id: slackId.optional(),
      is_ephemeral: z.boolean().optional(),
      thread_ts: z.string().max(32).optional(),
    })
    .optional(),
  channel: z.object({ id: slackId }).optional(),
  message: z.object({ ts: z.string().max(32), thread_ts: z.string().max(32).optional() }).passthrough().optional(),
});

const buttonSchema = z.object({
  type: z.literal('button'),
  action_id: z.string().max(255),
  action_ts: z.string().min(1).max(32),
  value: buttonTargetSchema,
});


/** `work` within the listener's budget, else a DeadlineError naming what was slow. */
const inBudget = <T>(ms: number, work: Promise<T>, what: string): Promise<T> => within(work, ms, () => new DeadlineError(ms, `${what}: no answer within ${ms} ms`));

export function createSlackApp(options: SlackAppOptions): App {
  // Our own authorize: the token is known, so no auth.test call on a cold start (Bolt's default
  // makes one eagerly and leaves its failure unhandled).
  const botToken = options.token;
  const app = new App({
    receiver: options.receiver,
    authorize: async () => ({
      botToken,
      ...(options.botId ? { botId: options.botId } : {}),
      ...(options.botUserId ? { botUserId: options.botUserId } : {}),
    }),
    ...(options.logger ? { logger: options.logger } : {}),
    logLevel: options.logLevel ?? LogLevel.WARN,
    convoStore: false,
  });
  // Inside a listener: short timeout, one retry, no waiting out a 429 (the answer is due in 3 s).
  const client = createSlackClient(botToken, {
    slackApiUrl: options.slackApiUrl,
    timeoutMs: 1_500,
    retryConfig: LISTENER_RETRY,
    rejectRateLimitedCalls: true,
    logLevel: options.logLevel,
  });
  const logger = app.logger;
  const budget = options.listenerBudgetMs ?? DEFAULT_LISTENER_BUDGET_MS;
  const usergroups = new UsergroupMembers(client, {
    ttlMs: options.usergroupCacheMs,
    onError: (err) => logger.warn(`usergroup lookup failed (counted as not a member): ${errorMessage(err)}`),
  });
  const channelOf = (service: string) => options.catalog.services.find((s) => s.name === service)?.slackChannel ?? options.catalog.defaults.slackChannel;
  const notifier =
    options.notifier ??
    new PosterNotifier(
      {
        // Human-paced (clicks), so no pacing delay inside the 3-second budget.
        poster: new IncidentPoster({ sink: new WebApiSink(client, { secrets: [options.token, ...(options.secrets ?? [])] }), store: options.store, channelOf, pacer: { minIntervalMs: 0 } }),
        store: options.store,
      },
      (m) => logger.warn(m),
    );
  const deps: InteractionDeps = {
    store: options.store,
    queue: options.queue,
    notifier,
    catalog: options.catalog,
    isMember: usergroups.isMember,
    now: options.now ?? Date.now,
    ...(options.meter ? { meter: options.meter } : {}),
  };
  const claim = (key: string) => options.store.claim(key, REQUEST_CLAIM_SECONDS);
  // An ephemeral answer in a command's ack: it echoes what was typed, so the same last fence as
  // every posted message (a token pasted by mistake is not shown again).
  const secrets = [options.token, ...(options.secrets ?? [])];
  const ephemeral = (m: SlackMessage) => {
    const clean = redactMessage(m, secrets);
    return { response_type: 'ephemeral' as const, text: clean.text, blocks: clean.blocks };
  };
  /** Audits a refusal without letting a slow or failing store delay the answer past the budget. */
  const auditRefusal = async (entry: Parameters<Store['appendAudit']>[0]) => {
    try {
      await inBudget(budget, options.store.appendAudit(entry), 'audit');
    } catch (err) {
      logger.error(`could not audit a refusal (${entry.action} by ${entry.actor}): ${errorMessage(err)}`);
    }
  };

  /** `/leak evidence <incident>`: a fresh bounded link, audited (who asked for which incident's evidence). */
  const evidenceLink = async (incident: string | null, user: string): Promise<SlackMessage> => {
    if (!incident) return renderError('Usage: /leak evidence <incident id> (the id is in the incident message and in /leak status).');
    if (!options.pageLinker) return renderError('Evidence pages are not set up here (no evidence bucket).');
    try {
      const page = await inBudget(budget, options.pageLinker.link(incident), 'evidence link');
      await auditRefusal({ actor: user, action: 'evidence.link', target: `incident ${incident}`, incidentId: incident, result: page ? `issued${page.expiresAt ? `, valid until ${page.expiresAt}` : ''}` : 'no page' });
      return pageAnswer(incident, page);
    } catch (err) {
      logger.error(`/leak evidence failed: ${errorMessage(err)}`);
      return renderError('Leakhound could not read the evidence bucket; try again in a minute.');
    }
  };

  app.command('/leak', async ({ command, ack }) => {
    const parsed = commandSchema.safeParse(command);
    if (!parsed.success) {
      await ack(ephemeral(renderError(`could not read the command: ${parsed.error.issues[0]?.message ?? 'invalid'}`)));
      return;
    }
    const c = parsed.data;
    const cmd = parseLeakCommand(c.text, options.catalog);
    const names = serviceNames(options.catalog);
    switch (cmd.kind) {
      case 'help':
        return ack(ephemeral(renderHelp(names)));
      case 'evidence':
        return ack(ephemeral(await evidenceLink(cmd.incident, c.user_id)));
      case 'unknown-subcommand':
        return ack(ephemeral(renderUnknownSubcommand(cmd.given, names)));
      case 'unknown-service':
        // Naming a service the catalog does not have is refused, and recorded like any refusal.
        if (cmd.given) {
          const action = cmd.subcommand === 'restart' ? 'restart.requested' : `triage.${cmd.subcommand === 'triage' ? 'full' : cmd.subcommand}.requested`;
          await auditRefusal({ actor: c.user_id, action, target: `service ${redact(cmd.given).slice(0, 80)}`, incidentId: null, result: 'refused: not in the catalog' });
        }
        return ack(ephemeral(renderUnknownService(cmd.subcommand, cmd.given, names)));
    }
    let answer: SlackMessage;
    const key = `slack:cmd:${c.trigger_id}`;
    try {
      answer = await inBudget(
        budget,
        (async (): Promise<SlackMessage> => {
          if (cmd.kind === 'status') return renderStatus(await options.store.listOpenIncidents());
          if (!(await claim(key))) return plainMessage('Already on it (Slack delivered this command twice).');
          const click: Click = { source: 'command', user: c.user_id, channel: c.channel_id, messageTs: null, threadTs: null, ephemeral: true };
          if (cmd.kind === 'postmortem') return queuePostmortem(deps, cmd.target, click);
          if (cmd.subcommand === 'restart') return (await requestRestart(deps, { kind: 'service', name: cmd.service.name }, click)) ?? plainMessage('Restart requested.');
          const scope = cmd.subcommand === 'triage' ? 'full' : cmd.subcommand;
          return queueTriage(deps, { service: cmd.service, scope, trigger: 'command', user: c.user_id, channel: c.channel_id });
        })(),
        `/leak ${cmd.kind === 'service' ? cmd.subcommand : cmd.kind}`,
      );
    } catch (err) {
      logger.error(`/leak failed: ${errorMessage(err)}`);
      // A failed attempt lets a retry run it; a late one may still finish, so it keeps the claim.
      if (!(err instanceof DeadlineError)) await options.store.release(key).catch(() => {});
      answer = renderError(err instanceof DeadlineError ? 'Leakhound is slow to answer right now; try again in a minute.' : 'Leakhound could not queue that; try again in a minute.');
    }
    await ack(ephemeral(answer));
  });

  const onButton = (actionId: string, expects: ButtonTarget['kind'][], run: (target: ButtonTarget, click: Click) => Promise<unknown>) => {
    app.action({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action }) => {
      await ack();
      const b = actionBodySchema.safeParse(body);
      const a = buttonSchema.safeParse(action);
      if (!b.success || !a.success || !expects.includes(a.data.value.kind)) {
        const why = b.success ? (a.success ? 'button names the wrong kind of id' : (a.error.issues[0]?.message ?? 'malformed button')) : (b.error.issues[0]?.message ?? 'malformed payload');
        logger.warn(`ignored ${actionId}: ${why}`);
        // A forged or stale value from a known user is refused on the record.
        if (b.success) await auditRefusal({ actor: b.data.user.id, action: `${actionId}.clicked`, target: a.success ? `${a.data.value.kind} id` : 'button value', incidentId: null, result: `refused: ${why}` });
        return;
      }
      const { user, container, channel, message } = b.data;
      const click: Click = {
        source: 'button',
        user: user.id,
        channel: container?.channel_id ?? channel?.id ?? null,
        messageTs: container?.message_ts ?? message?.ts ?? null,
        threadTs: container?.thread_ts ?? message?.thread_ts ?? null,
        ephemeral: container?.is_ephemeral ?? false,
      };
      const key = `slack:act:${actionId}:${user.id}:${a.data.action_ts}`;
      try {
        await inBudget(
          budget,
          (async () => {
            // One click, one effect: a retried delivery carries the same action_ts.
            if (!(await claim(key))) return;
            await run(a.data.value, click);
          })(),
          actionId,
        );
      } catch (err) {
        logger.error(`${actionId} by ${user.id} failed: ${errorMessage(err)}`);
        if (!(err instanceof DeadlineError)) await options.store.release(key).catch(() => {});
      }
    });
  };

  onButton(ACTIONS.restart, ['incident', 'service'], (t, click) => requestRestart(deps, t, click));
  onButton(ACTIONS.terminate, ['incident', 'service'], (t, click) => onTerminate(deps, t, click));
  onButton(ACTIONS.rerun, ['incident', 'service'], (t, click) => onRerun(deps, t, click));
  onButton(ACTIONS.silence, ['incident'], (t, click) => onSilence(deps, t, click));
  onButton(ACTIONS.approve, ['approval'], (t, click) => decide(deps, (t as { id: string }).id, 'approve', click));
  onButton(ACTIONS.postmortem, ['incident'], (t, click) => onPostmortemClick(deps, t, click));
  onButton(ACTIONS.deny, ['approval'], (t, click) => decide(deps, (t as { id: string }).id, 'deny', click));

  // A link button opens the page in the browser; Slack still sends the click, which needs only an ack.
  app.action({ type: 'block_actions', action_id: PAGE_BUTTON_ACTION }, async ({ ack }) => {
    await ack();
  });

  app.error(async (err) => {
    logger.error(`slack app error: ${errorMessage(err)}`);
  });
  return app;
}
