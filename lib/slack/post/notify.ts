// Sends Notifications through the poster (threads created once, writes paced per channel).
// A notification for an incident that is gone is skipped and reported, not retried forever.
import type { Store } from '../../store/index.ts';
import type { Notification, Notifier } from '../app/notifier.ts';
import type { IncidentPoster } from './poster.ts';

export interface NotifyResult {
  sent: number;
  failed: string[];
}

export async function deliverNotifications(
  notifications: readonly Notification[],
  deps: { poster: IncidentPoster; store: Pick<Store, 'getIncident'> },
): Promise<NotifyResult> {
  const result: NotifyResult = { sent: 0, failed: [] };
  // Different channels go out side by side; the poster keeps each channel's order and pace.
  const outcomes = await Promise.allSettled(
    notifications.map(async (n) => {
      switch (n.to) {
        case 'thread': {
          const incident = await deps.store.getIncident(n.incidentId);
          if (!incident) throw new Error(`incident ${n.incidentId} not found`);
          await deps.poster.reply(incident, n.message);
          return;
        }
        case 'channel':
          await deps.poster.post(n.channel, n.message, n.threadTs);
          return;
        case 'update':
          await deps.poster.update(n.channel, n.ts, n.message);
          return;
        case 'ephemeral':
          await deps.poster.ephemeral(n.channel, n.user, n.message, n.threadTs);
          return;
      }
    }),
  );
  outcomes.forEach((o, i) => {
    if (o.status === 'fulfilled') result.sent += 1;
    else result.failed.push(`${notifications[i]!.to}: ${o.reason instanceof Error ? o.reason.message : String(o.reason)}`);
  });
  return result;
}

/** A Notifier that posts right away through `poster`, reporting failures to `onError`. */
export class PosterNotifier implements Notifier {
  constructor(
    private readonly deps: { poster: IncidentPoster; store: Pick<Store, 'getIncident'> },
    private readonly onError: (message: string) => void = (m) => console.error(`leakhound slack: ${m}`),
  ) {}

  async send(notifications: readonly Notification[]): Promise<void> {
    if (!notifications.length) return;
    const r = await deliverNotifications(notifications, this.deps);
    for (const f of r.failed) this.onError(`could not notify: ${f}`);
  }
}
