// A Bolt receiver for the local console loop: hands slash commands and clicks typed in a terminal
// to the same app and listeners Slack would reach, and returns what the ack carried. No network,
// no signatures (nothing crosses a trust boundary: it is your own terminal).
import type { App, Receiver } from '@slack/bolt';

export class LocalReceiver implements Receiver {
  private app: App | null = null;

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Delivers one request body; resolves with the ack's payload ('' for a bare ack). */
  async deliver(body: Record<string, unknown>): Promise<unknown> {
    if (!this.app) throw new Error('LocalReceiver: no app (create the app with this receiver first)');
    let acked: unknown;
    let done = false;
    await this.app.processEvent({
      body,
      ack: async (response?: unknown) => {
        if (done) throw new Error('acknowledged twice');
        done = true;
        acked = response ?? '';
      },
    });
    return acked;
  }
}

let seq = 0;

/** The body Slack sends for `/leak <text>`. */
export function localCommand(text: string, user: string, channel: string): Record<string, string> {
  seq += 1;
  return {
    command: '/leak',
    text,
    user_id: user,
    user_name: user.toLowerCase(),
    channel_id: channel,
    channel_name: 'local',
    team_id: 'TLOCAL',
    team_domain: 'local',
    api_app_id: 'ALOCAL',
    trigger_id: `local-${Date.now()}-${seq}`,
    response_url: '',
    token: '',
  };
}

/** Where a clicked button is: its message, and the thread that message is in. */
export interface ButtonPlace {
  channel: string;
  /** null: a message only the clicker sees (no ts to update). */
  messageTs: string | null;
  threadTs: string | null;
}

/** The body Slack sends for a button click on a message. */
export function localClick(actionId: string, value: string, user: string, place: ButtonPlace): Record<string, unknown> {
  seq += 1;
  const actionTs = `${Math.floor(Date.now() / 1000)}.${String(seq).padStart(6, '0')}`;
  const { channel, messageTs, threadTs } = place;
  return {
    type: 'block_actions',
    user: { id: user },
    team: { id: 'TLOCAL' },
    api_app_id: 'ALOCAL',
    trigger_id: `local-${seq}`,
    container: {
      type: 'message',
      channel_id: channel,
      is_ephemeral: messageTs === null,
      ...(messageTs ? { message_ts: messageTs } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    channel: { id: channel },
    ...(messageTs ? { message: { ts: messageTs, ...(threadTs ? { thread_ts: threadTs } : {}) } } : {}),
    actions: [{ type: 'button', action_id: actionId, block_id: 'local', value, action_ts: actionTs }],
  };
}
