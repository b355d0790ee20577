// collectDumps: find every replica of a service from its catalog entry, read them with bounded
// concurrency, a per-target timeout, a byte cap and one overall deadline, and return what was
// read plus a gap for everything that was not. It never throws and never outlives the deadline.
import type { DumpDebugLevel, DumpLimits, DumpSource, Service } from '../catalog/index.ts';
import { byDeadline, describeError } from '../errors/index.ts';
import { formatSeconds } from './describe.ts';
import type { EcsClientOption, EcsLike } from './ecs.ts';
import { discoverHttp } from './http-source.ts';
import type { KubeClientOption } from './kubernetes.ts';
import { rescrapePools } from './pool-scrape.ts';
import type { DumpCollection, Gap, ReplicaDump } from './model.ts';
import type { S3ClientOption, S3Like } from './s3.ts';
import { readTarget, type Discovery, type Target } from './target.ts';
import type { FetchLike } from './transport.ts';

export interface DumpClients {
  /** A KubeConfig (or anything with its `getCurrentCluster` and `applyToHTTPSOptions`), or a factory. Default: `loadFromDefault()`. */
  kube?: KubeClientOption;
  /** An ECS client, or a factory by region. Default: a client per region with short timeouts. */
  ecs?: EcsClientOption;
  /** An S3 client, or a factory by region. */
  s3?: S3ClientOption;
}

export interface CollectDumpsOptions {
  /** Default: the service's `dumps.debug` (1 unless configured). 2 stops the world in the target: only when wait ages are needed. */
  debug?: DumpDebugLevel;
  /** Epoch ms. Replicas not read by then are gaps, and the call returns by then. */
  deadline: number;
  clients?: DumpClients;
  fetch?: FetchLike;
  onProgress?: (done: number, total: number) => void;
  /** Region for ECS and S3 sources that name none (the catalog's `defaults.region`). */
  region?: string | null;
}

/** The call returns this long before the deadline, so the caller gets its answer by then. */
function hardMarginMs(budgetMs: number): number {
  return Math.min(15, budgetMs * 0.02);
}

/** Streams are ended this long before the hard stop, so partial dumps are parsed in time. */
function softMarginMs(budgetMs: number): number {
  return Math.min(100, budgetMs * 0.1);
}

export function describeSource(source: DumpSource): string {
  switch (source.type) {
    case 'http':
      return source.urls.length === 1 ? source.urls[0]! : `${source.urls.length} URLs`;
    case 'kubernetes':
      return `pods ${source.namespace}/${source.selector}`;
    case 'ecs':
      return `service ${source.cluster}/${source.service}`;
    case 's3':
      return `s3://${source.bucket}/${source.prefix}`;
  }
}

const LISTING: Record<DumpSource['type'], string> = {
  http: 'preparing URLs',
  kubernetes: 'listing pods',
  ecs: 'listing tasks',
  s3: 'listing objects',
};

export async function collectDumps(service: Service, limits: DumpLimits, opts: CollectDumpsOptions): Promise<DumpCollection> {
  try {
    const collection = await collect(service, limits, opts);
    // The second pool scrape ends by the same hard stop as the dumps.
    await rescrapePools(collection.replicas, limits, opts.deadline - hardMarginMs(opts.deadline - Date.now()));
    return collection;
  } catch (err) {
    return {
      replicas: [],
      gaps: [{ source: 'dumps', target: service.name, reason: `dump collection failed: ${describeError(err)}` }],
    };
  }
}

interface Entry {
  target: Target;
  sourceIndex: number;
  state: 'queued' | 'running' | 'done';
  result: ReplicaDump | null;
  startedAt: number;
}

function unread(entry: Entry, reason: string): ReplicaDump {
  const t = entry.target;
  return {
    replica: t.replica,
    address: t.address,
    source: t.source,
    location: t.location,
    dump: null,
    bytes: 0,
    elapsedMs: entry.state === 'running' ? Date.now() - entry.startedAt : 0,
    capturedAt: null,
    gap: { source: t.source, target: t.label, reason },
  };
}

async function collect(service: Service, limits: DumpLimits, opts: CollectDumpsOptions): Promise<DumpCollection> {
  const sources = service.dumps.sources;
  const debug: DumpDebugLevel = opts.debug ?? service.dumps.debug ?? 1;
  const timeoutMs = Math.max(1, Math.round(limits.timeoutSeconds * 1000));
  const concurrency = Math.max(1, Math.floor(limits.concurrency));
  const fetchImpl = opts.fetch ?? null;
  const startedAt = Date.now();
  const budgetMs = opts.deadline - startedAt;

  if (sources.length === 0) {
    return { replicas: [], gaps: [{ source: 'dumps', target: service.name, reason: 'no dump sources in the catalog' }] };
  }
  if (!(budgetMs > 0)) {
    const gaps = sources.map((s) => ({ source: s.type, target: describeSource(s), reason: 'the overall deadline had passed before any dump was read' }));
    return { replicas: [], gaps };
  }

  const soft = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const createdClients: Array<{ destroy(): void }> = [];
  const entries: Entry[] = [];
  const queue: Entry[] = [];
  const sourceGaps: Gap[][] = sources.map(() => []);
  const discovering = sources.map(() => true);
  let running = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const progress = (): void => {
    try {
      opts.onProgress?.(done, entries.length);
    } catch {
      // A progress callback cannot break the collection.
    }
  };
  const settle = (): void => {
    if (running === 0 && queue.length === 0 && !discovering.includes(true)) finish();
  };
  const pump = (): void => {
    while (running < concurrency && queue.length > 0 && !soft.signal.aborted) {
      const entry = queue.shift()!;
      entry.state = 'running';
      entry.startedAt = Date.now();
      running++;
      readTarget(entry.target, { timeoutMs, maxBytes: limits.maxBytes, deadline: soft.signal })
        .then(
          (r) => (entry.result = r),
          (err: unknown) => (entry.result = unread(entry, `could not read the dump: ${describeError(err)}`)),
        )
        .finally(() => {
          entry.state = 'done';
          running--;
          done++;
          progress();
          pump();
          settle();
        });
    }
    settle();
  };

  // Near the deadline: stop starting reads, let running ones end their streams and parse.
  timers.push(
    setTimeout(() => {
      soft.abort(new Error('deadline'));
      for (const entry of queue.splice(0)) {
        entry.result = unread(entry, `not started: the overall deadline (${formatSeconds(budgetMs)}) came first`);
        entry.state = 'done';
        done++;
      }
      progress();
      settle();
    }, Math.max(0, budgetMs - hardMarginMs(budgetMs) - softMarginMs(budgetMs))),
  );

  const regionOf = (region: string | null): string | null => region ?? opts.region ?? null;
  const ecsClients = new Map<string | null, EcsLike>();
  const s3Clients = new Map<string | null, S3Like>();
  // The Kubernetes, ECS and S3 readers (with their clients) are imported when a source of theirs
  // is read: a service whose dumps come over HTTP never loads them.
  const ecsClient = (createEcsClient: (region: string | null, timeoutMs: number) => EcsLike & { destroy(): void }, region: string | null): EcsLike => {
    const given = opts.clients?.ecs;
    if (given) return typeof given === 'function' ? given(region) : given;
    let c = ecsClients.get(region);
    if (!c) {
      const created = createEcsClient(region, timeoutMs);
      createdClients.push(created);
      ecsClients.set(region, (c = created));
    }
    return c;
  };
  const s3Client = (createS3Client: (region: string | null, timeoutMs: number) => S3Like & { destroy(): void }, region: string | null): S3Like => {
    const given = opts.clients?.s3;
    if (given) return typeof given === 'function' ? given(region) : given;
    let c = s3Clients.get(region);
    if (!c) {
      const created = createS3Client(region, timeoutMs);
      createdClients.push(created);
      s3Clients.set(region, (c = created));
    }
    return c;
  };

  const discover = async (source: DumpSource, signal: AbortSignal): Promise<Discovery> => {
    switch (source.type) {
      case 'http':
        return discoverHttp(source.urls, debug, fetchImpl, source.metrics);
      case 'kubernetes': {
        const { discoverKubernetes } = await import('./kubernetes.ts');
        signal.throwIfAborted();
        return discoverKubernetes(source, { debug, kube: opts.clients?.kube, signal });
      }
      case 'ecs': {
        const { createEcsClient, discoverEcs } = await import('./ecs.ts');
        signal.throwIfAborted();
        return discoverEcs(source, { debug, client: ecsClient(createEcsClient, regionOf(source.region)), fetch: fetchImpl, signal });
      }
      case 's3': {
        const { createS3Client, discoverS3 } = await import('./s3.ts');
        signal.throwIfAborted();
        return discoverS3(source, { client: s3Client(createS3Client, regionOf(source.region)), signal, now: Date.now() });
      }
    }
  };

  sources.forEach((source, index) => {
    // Listing gets the same per-target timeout as a read, and stops at the deadline too.
    const controller = new AbortController();
    let why: 'timeout' | 'deadline' | null = null;
    const timer = setTimeout(() => {
      why ??= 'timeout';
      controller.abort(new Error('timeout'));
    }, timeoutMs);
    const onDeadline = (): void => {
      why ??= 'deadline';
      controller.abort(new Error('deadline'));
    };
    soft.signal.addEventListener('abort', onDeadline, { once: true });
    const gap = (reason: string): Gap => ({ source: source.type, target: describeSource(source), reason });

    Promise.resolve()
      .then(() => discover(source, controller.signal))
      .then(
        (found) => {
          sourceGaps[index]!.push(...found.gaps);
          if (soft.signal.aborted) {
            for (const target of found.targets) {
              const entry: Entry = { target, sourceIndex: index, state: 'done', result: null, startedAt: 0 };
              entry.result = unread(entry, `not started: the overall deadline (${formatSeconds(budgetMs)}) came first`);
              entries.push(entry);
              done++;
            }
            return;
          }
          for (const target of found.targets) {
            const entry: Entry = { target, sourceIndex: index, state: 'queued', result: null, startedAt: 0 };
            entries.push(entry);
            queue.push(entry);
          }
        },
        (err: unknown) => {
          const phase = LISTING[source.type];
          sourceGaps[index]!.push(
            gap(
              why === 'deadline'
                ? `overall deadline reached while ${phase}`
                : why === 'timeout'
                  ? `${phase} timed out after ${formatSeconds(timeoutMs)}`
                  : `${phase} failed: ${describeError(err)}`,
            ),
          );
        },
      )
      .finally(() => {
        clearTimeout(timer);
        soft.signal.removeEventListener('abort', onDeadline);
        discovering[index] = false;
        progress();
        pump();
      });
  });

  // The hard stop: whatever has not settled by the deadline is reported as it stands.
  await byDeadline(finished, Date.now() + budgetMs - hardMarginMs(budgetMs), undefined);
  for (const t of timers) clearTimeout(t);
  soft.abort(new Error('deadline'));
  for (const c of createdClients) c.destroy();

  discovering.forEach((pending, index) => {
    if (pending) {
      const source = sources[index]!;
      sourceGaps[index]!.push({ source: source.type, target: describeSource(source), reason: `overall deadline reached while ${LISTING[source.type]}` });
    }
  });

  const replicas: ReplicaDump[] = [];
  const gaps: Gap[] = [];
  sources.forEach((_, index) => {
    gaps.push(...sourceGaps[index]!);
    for (const entry of entries) {
      if (entry.sourceIndex !== index) continue;
      const result =
        entry.result ??
        unread(
          entry,
          entry.state === 'running'
            ? `overall deadline (${formatSeconds(budgetMs)}) reached before the dump was read`
            : `not started: the overall deadline (${formatSeconds(budgetMs)}) came first`,
        );
      replicas.push(result);
      if (result.gap) gaps.push(result.gap);
    }
  });
  return { replicas, gaps };
}
