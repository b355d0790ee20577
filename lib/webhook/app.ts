// The webhook receiver: Alertmanager and Grafana (bearer token or HMAC), SNS over HTTPS (signed
// messages, subscription confirmation), and a health check. Every refusal is a 4xx with
// `{error}` saying why; nothing answers with a stack trace.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { parseAlerts } from '../alerts/index.ts';
import type { Alert } from '../alerts/index.ts';
import { ingestAlerts, summarise, type IngestDeps } from '../intake/index.ts';
import { errorMessage } from '../errors/index.ts';
import type { Log } from '../lambda/index.ts';
import { SNS_FORBIDDEN, isSubscribeUrl, type SnsVerifier, type TextFetcher } from './sns-signature.ts';
import { checkAuth, type SourceAuth } from './source-auth.ts';

export interface WebhookDeps extends IngestDeps {
  auth: { alertmanager: SourceAuth | null; grafana: SourceAuth | null };
  sns: SnsVerifier;
  /** GETs a SubscribeURL (injected in tests). */
  confirm: TextFetcher;
}

export interface WebhookAppOptions {
  deps: () => Promise<WebhookDeps>;
  maxBodyBytes: number;
  log: Log;
  now?: () => number;
}

/** SNS redelivers; a MessageId is acted on once within a day. */
const SNS_DEDUPE_SECONDS = 24 * 3600;

const fail = (c: Context, status: ContentfulStatusCode, error: string) => c.json({ error }, status);

export function createWebhookApp(options: WebhookAppOptions): Hono {
  const { log } = options;
  const now = options.now ?? Date.now;
  const app = new Hono();
  const limit = bodyLimit({ maxSize: options.maxBodyBytes, onError: (c) => fail(c, 413, `body larger than ${options.maxBodyBytes} bytes`) });

  /** The deps, or a 503 when the function is not configured (details go to the log only). */
  const depsOr503 = async (c: Context): Promise<WebhookDeps | Response> => {
    try {
      return await options.deps();
    } catch (err) {
      log.error('not configured', { reason: errorMessage(err) });
      return fail(c, 503, 'leakhound is not configured; see the function logs');
    }
  };

  const record = async (c: Context, deps: WebhookDeps, alerts: Alert[], undo?: () => Promise<void>) => {
    try {
      const routes = await ingestAlerts(alerts, deps);
      log.info('alerts recorded', { path: c.req.path, ...summarise(routes) });
      return c.json({ accepted: alerts.length, ...summarise(routes) }, 200);
    } catch (err) {
      await undo?.().catch(() => {});
      log.error('could not record alerts', { path: c.req.path, reason: errorMessage(err) });
      return fail(c, 503, 'could not record the alerts right now; retry');
    }
  };

  app.get('/healthz', async (c) => {
    const deps = await depsOr503(c);
    if (deps instanceof Response) return deps;
    return c.json({ status: 'ok', services: deps.catalog.services.length });
  });

  for (const source of ['alertmanager', 'grafana'] as const) {
    app.post(`/webhooks/${source}`, limit, async (c) => {
      const body = await c.req.text();
      const deps = await depsOr503(c);
      if (deps instanceof Response) return deps;
      const auth = checkAuth(source, deps.auth[source], (h) => c.req.header(h), body, now());
      if (!auth.ok) {
        log.warn('refused', { path: c.req.path, status: auth.status, reason: auth.reason });
        return fail(c, auth.status, auth.reason);
      }
      const parsed = parseAlerts(body, source);
      if (!parsed.ok) return fail(c, 400, parsed.error.message);
      return record(c, deps, parsed.alerts);
    });
  }

  app.post('/webhooks/sns', limit, async (c) => {
    const body = await c.req.text();
    const deps = await depsOr503(c);
    if (deps instanceof Response) return deps;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return fail(c, 400, 'body is not JSON');
    }
    const verified = await deps.sns.verify(json);
    if (!verified.ok) {
      log.warn('sns message refused', { status: verified.status, reason: verified.reason });
      // 400 says what is malformed; every 403 is the same answer (the reason is in the log).
      return fail(c, verified.status, verified.status === 403 ? SNS_FORBIDDEN : verified.reason);
    }
    const m = verified.message;
    if (m.Type === 'UnsubscribeConfirmation') {
      log.warn('sns unsubscribed', { topic: m.TopicArn });
      return c.json({ ok: true });
    }
    if (m.Type === 'SubscriptionConfirmation') {
      // Signed, for a configured topic; the URL must confirm that very topic on its own endpoint.
      if (!isSubscribeUrl(m.SubscribeURL!, m.TopicArn)) return fail(c, 403, 'SubscribeURL is not a ConfirmSubscription URL of this topic on its SNS endpoint');
      try {
        await deps.confirm(m.SubscribeURL!, AbortSignal.timeout(5_000));
      } catch (err) {
        log.error('could not confirm the subscription', { topic: m.TopicArn, reason: errorMessage(err) });
        return fail(c, 502, 'could not confirm the subscription; SNS will send the confirmation again');
      }
      log.info('sns subscription confirmed', { topic: m.TopicArn });
      return c.json({ confirmed: true, topic: m.TopicArn });
    }
    const parsed = parseAlerts(m, 'cloudwatch-sns');
    if (!parsed.ok) return fail(c, 400, parsed.error.message);
    const key = `sns:${m.MessageId}`;
    if (!(await deps.store.claim(key, SNS_DEDUPE_SECONDS))) return c.json({ accepted: 0, duplicate: true });
    return record(c, deps, parsed.alerts, () => deps.store.release(key));
  });

  app.notFound((c) => fail(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    log.error('unhandled', { path: c.req.path, reason: errorMessage(err) });
    return fail(c, 500, 'internal error');
  });
  return app;
}
