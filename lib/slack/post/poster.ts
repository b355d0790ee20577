// The worker side of Slack: one incident = one top-level message (created once, then updated in
// place as triage progresses and when the alarm resolves) plus its thread (details, re-runs,
// approval steps, the metric graph). Every write goes through a per-channel pacer, so an alarm
// storm produces updates of one message, never a flood of new ones.
import type { Incident, SlackThread, Store } from '../../store/index.ts';
import type { Progress } from '../../triage/index.ts';
import type { Report } from '../../triage/index.ts';
import { renderIncidentSummary, renderReport, renderReportDetails, type IncidentRef } from '../render/report.ts';
import { plainMessage, type SlackMessage } from '../render/block-kit.ts';
import { renderProgress, renderResolved, type ResolvedView } from '../render/messages.ts';
import { ChannelPacer, type PacerOptions } from './pacer.ts';
import { silencedUntil } from '../app/silence.ts';
import type { SlackSink } from './sink.ts';
import { errorMessage } from '../../errors/index.ts';

export type PosterStore = Pick<Store, 'getIncident' | 'setThread' | 'listAudit'>;

export interface IncidentPosterOptions {
  sink: SlackSink;
  store: PosterStore;
  /** The channel of a service's incidents (the catalog's slackChannel; its default for unknown ones). */
  channelOf: (service: string) => string;
  pacer?: ChannelPacer | PacerOptions;
  /** Where failures of fire-and-forget updates (progress) are reported. */
  onError?: (err: unknown, what: string) => void;
  now?: () => number;
}

export interface GraphImage {
  png: Uint8Array;
  title?: string;
}

export interface ReportPostOptions {
  /** The metric graph; uploaded into the thread when it is a PNG. */
  graph?: GraphImage | null;
  /** A person asked (command, Re-run): post details even while the incident is silenced. */
  requestedBy?: string | null;
}

/** Where a command's answer goes when it does not belong to an incident. */
export interface ReplyTo {
  channel: string;
  user: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const isPng = (b: Uint8Array): boolean => b.byteLength > 8 && PNG_SIGNATURE.every((x, i) => b[i] === x);

const topKey = (incident: Incident): string => `top:${incident.id}`;

export const incidentRef = (i: Incident): IncidentRef => ({ id: i.id, alarmCount: i.alarmCount, firstSeen: i.firstSeen, reopenCount: i.reopenCount });

export class IncidentPoster {
  private readonly sink: SlackSink;
  private readonly store: PosterStore;
  private readonly channelOf: (service: string) => string;
  private readonly pacer: ChannelPacer;
  private readonly onError: (err: unknown, what: string) => void;
  private readonly now: () => number;
  /** Threads known in this process, and top messages being created right now. */
  private readonly threads = new Map<string, SlackThread>();
  private readonly creating = new Map<string, Promise<SlackThread>>();
  /** Fire-and-forget updates (progress) not yet handed to the pacer: flush waits for them too. */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Order in which top messages were decided (see the pacer's versions). */
  private versions = 0;
  /** Per incident, the version of its last verdict or resolution: earlier triages' progress is stale. */
  private readonly finals = new Map<string, number>();

  constructor(options: IncidentPosterOptions) {
    this.sink = options.sink;
    this.store = options.store;
    this.channelOf = options.channelOf;
    this.pacer = options.pacer instanceof ChannelPacer ? options.pacer : new ChannelPacer(options.pacer);
    this.onError = options.onError ?? ((err, what) => console.error(`leakhound slack: ${what}: ${errorMessage(err)}`));
    this.now = options.now ?? Date.now;
  }

  /** Shows `message` as the incident's top-level message: posts it the first time, updates it after. */
  async top(incident: Incident, message: SlackMessage): Promise<SlackThread> {
    // Taken before any await: what was decided last is shown last, however long the store takes.
    const version = ++this.versions;
    return this.showTop(incident, message, version);
  }

  /** An `onProgress` for triage: each step updates the top message; only the latest per second is sent. */
  progressReporter(incident: Incident, alertName?: string | null): (p: Progress) => void {
    const steps: Progress[] = [];
    const since = this.versions;
    return (p) => {
      // A step that comes after this triage's verdict (a source answering past the deadline) is
      // news no more: the verdict stays on top.
      if ((this.finals.get(incident.id) ?? Number.NEGATIVE_INFINITY) > since) return;
      const i = steps.findIndex((s) => s.stage === p.stage);
      if (i === -1) steps.push(p);
      else steps[i] = p;
      const view = { service: incident.service, incidentId: incident.id, alertName: alertName ?? null, steps: [...steps] };
      const update: Promise<unknown> = this.top(incident, renderProgress(view))
        .catch((err) => this.onError(err, `progress of ${incident.id}`))
        .finally(() => this.inflight.delete(update));
      this.inflight.add(update);
    };
  }

  /** The finished Report: summary on top, details and the graph in the thread. */
  async report(incident: Incident, report: Report, options: ReportPostOptions = {}): Promise<SlackThread> {
    const ref = incidentRef(incident);
    const thread = await this.final(incident, renderIncidentSummary(report, { incident: ref }));
    if (!options.requestedBy && (await silencedUntil(this.store, incident.id, this.now()))) return thread;
    await this.replyIn(incident, thread, renderReportDetails(report, { incident: ref }));
    if (options.graph) await this.uploadGraph(incident, thread, options.graph);
    return thread;
  }

  async resolved(incident: Incident, view: Omit<ResolvedView, 'incident'> = {}): Promise<SlackThread> {
    const message = renderResolved({ ...view, incident });
    const thread = await this.final(incident, message);
    await this.replyIn(incident, thread, plainMessage(':white_check_mark: Resolved: the alarm is back to normal.'));
    return thread;
  }

  /** A reply in the incident's thread (the top message is created first if there is none yet). */
  async reply(incident: Incident, message: SlackMessage): Promise<SlackThread> {
    const thread = (await this.threadOf(incident)) ?? (await this.top(incident, renderProgress({ service: incident.service, incidentId: incident.id, steps: [] })));
    await this.replyIn(incident, thread, message);
    return thread;
  }

  /** A Report for a command: into the incident thread when there is one, else only to the asker. */
  async answerReport(report: Report, to: { incident: Incident | null; replyTo: ReplyTo | null; requestedBy?: string | null; graph?: GraphImage | null }): Promise<void> {
    if (to.incident) {
      await this.report(to.incident, report, { requestedBy: to.requestedBy ?? to.replyTo?.user ?? null, graph: to.graph ?? null });
      return;
    }
    if (to.replyTo) await this.ephemeral(to.replyTo.channel, to.replyTo.user, renderReport(report, { incident: null }));
  }

  async ephemeral(channel: string, user: string, message: SlackMessage, threadTs?: string): Promise<void> {
    await this.pacer.schedule(channel, () => this.sink.ephemeral(channel, user, message, threadTs));
  }

  /** A message outside any incident thread (an approval request with no incident, its replies). */
  async post(channel: string, message: SlackMessage, threadTs?: string): Promise<{ channel: string; ts: string }> {
    return this.pacer.schedule(channel, () => this.sink.post({ channel, ...(threadTs ? { threadTs } : {}) }, message));
  }

  /** Updates another message (an approval request) in place; paced like the rest. */
  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.pacer.schedule(channel, () => this.sink.update(channel, ts, message), `update:${channel}:${ts}`);
  }

  /** A file in the incident's thread (a postmortem draft), paced with the thread's other writes. */
  async file(incident: Incident, file: { filename: string; title: string; data: Uint8Array }): Promise<SlackThread> {
    const thread = (await this.threadOf(incident)) ?? (await this.top(incident, renderProgress({ service: incident.service, incidentId: incident.id, steps: [] })));
    await this.pacer.schedule(this.lane(incident), () => this.sink.upload({ channel: thread.channel, threadTs: thread.ts, filename: file.filename, title: file.title, altText: file.title, data: file.data }));
    return thread;
  }

  /** Waits for every paced write (a Lambda worker calls this before it returns). */
  async flush(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
    await this.pacer.idle();
  }

  // -------------------------------------------------------------------------------------------

  /** A verdict or a resolution on top: progress of triages started before it is dropped from now on. */
  private final(incident: Incident, message: SlackMessage): Promise<SlackThread> {
    const version = ++this.versions;
    this.finals.set(incident.id, version);
    return this.showTop(incident, message, version);
  }

  private async showTop(incident: Incident, message: SlackMessage, version: number): Promise<SlackThread> {
    const known = await this.threadOf(incident);
    if (known) {
      await this.updateTop(incident, known, message, version);
      return known;
    }
    const pending = this.creating.get(incident.id);
    if (pending) {
      const thread = await pending;
      await this.updateTop(incident, thread, message, version);
      return thread;
    }
    const creation = this.create(incident, message, version);
    this.creating.set(incident.id, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(incident.id);
    }
  }

  private lane(incident: Incident): string {
    return this.channelOf(incident.service);
  }

  private async threadOf(incident: Incident): Promise<SlackThread | null> {
    const cached = this.threads.get(incident.id) ?? incident.thread;
    if (cached) return this.remember(incident.id, cached);
    const fresh = await this.store.getIncident(incident.id);
    return fresh?.thread ? this.remember(incident.id, fresh.thread) : null;
  }

  private remember(id: string, thread: SlackThread): SlackThread {
    this.threads.set(id, thread);
    return thread;
  }

  private updateTop(incident: Incident, thread: SlackThread, message: SlackMessage, version: number): Promise<void> {
    return this.pacer.schedule(this.lane(incident), () => this.sink.update(thread.channel, thread.ts, message), { key: topKey(incident), version });
  }

  private async replyIn(incident: Incident, thread: SlackThread, message: SlackMessage): Promise<void> {
    await this.pacer.schedule(this.lane(incident), () => this.sink.post({ channel: thread.channel, threadTs: thread.ts }, message));
  }

  /** Posts, then records the thread with the store's conditional write; the loser deletes its copy. */
  private async create(incident: Incident, message: SlackMessage, version: number): Promise<SlackThread> {
    const lane = this.lane(incident);
    // Keyed like the updates, so an older update arriving after this post does not undo it.
    const posted = await this.pacer.schedule(lane, () => this.sink.post({ channel: lane }, message), { key: topKey(incident), version, replaceable: false });
    const mine = { channel: posted.channel, ts: posted.ts };
    const isMine = (t: SlackThread | null | undefined) => t?.channel === mine.channel && t.ts === mine.ts;
    let set: Awaited<ReturnType<PosterStore['setThread']>>;
    try {
      set = await this.store.setThread(incident.id, mine);
    } catch (err) {
      if (await this.recordedAfterAll(incident, lane, mine, isMine)) return this.remember(incident.id, mine);
      throw err;
    }
    if (set.ok) return this.remember(incident.id, mine);
    // A write that timed out but landed, retried by the SDK, finds its own thread already set.
    if (set.reason === 'already-set' && isMine(set.incident.thread)) return this.remember(incident.id, mine);
    if (set.reason === 'already-set' && set.incident.thread) {
      const winner = this.remember(incident.id, set.incident.thread);
      await this.pacer.schedule(lane, () => this.sink.delete(posted.channel, posted.ts));
      await this.updateTop(incident, winner, message, version);
      return winner;
    }
    throw new Error(`incident ${incident.id} is not in the store`);
  }

  /**
   * The top message went out but the store did not take its thread (throttled, down): unless a
   * re-read shows it was recorded after all, take the message back, or the retry of this job
   * posts a second top message and this one stays behind, orphaned. When even the re-read fails,
   * the message stays: a duplicate is better than a thread that points at a deleted message.
   */
  private async recordedAfterAll(incident: Incident, lane: string, mine: SlackThread, isMine: (t: SlackThread | null | undefined) => boolean): Promise<boolean> {
    try {
      if (isMine((await this.store.getIncident(incident.id))?.thread)) return true;
      await this.pacer.schedule(lane, () => this.sink.delete(mine.channel, mine.ts));
    } catch (err) {
      this.onError(err, `top message of ${incident.id} posted but not recorded`);
    }
    return false;
  }

  private async uploadGraph(incident: Incident, thread: SlackThread, graph: GraphImage): Promise<void> {
    if (!isPng(graph.png)) {
      this.onError(new Error('the metric graph is not a PNG'), `graph of ${incident.id}`);
      return;
    }
    const title = graph.title ?? `${incident.service}: database connections and ELB 504s`;
    await this.pacer.schedule(this.lane(incident), () =>
      this.sink.upload({
        channel: thread.channel,
        threadTs: thread.ts,
        filename: `${incident.service}-connections.png`,
        title,
        altText: title,
        data: graph.png,
      }),
    );
  }
}
