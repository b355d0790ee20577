// Who is in a Slack user group, from `usergroups.users.list`, cached briefly: an approval click
// must not cost a Slack call each time, and a person removed from the group must lose the right
// within a minute. A failed lookup counts as "not a member" (fail closed) and is not cached.
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { DeadlineError, within } from '../../errors/index.ts';

export const USERGROUP_CACHE_MS = 60_000;
export const USERGROUP_TIMEOUT_MS = 1_500;

const responseSchema = z.object({ ok: z.literal(true), users: z.array(z.string()) });

export type UsergroupClient = Pick<WebClient, 'usergroups'>;

export interface UsergroupCacheOptions {
  ttlMs?: number;
  timeoutMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class UsergroupMembers {
  private readonly cache = new Map<string, { users: Set<string>; until: number }>();
  private readonly inflight = new Map<string, Promise<Set<string>>>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly client: UsergroupClient,
    options: UsergroupCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? USERGROUP_CACHE_MS;
    this.timeoutMs = options.timeoutMs ?? USERGROUP_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  /** The `isMemberOfUsergroup` that `decideApproval` asks. */
  readonly isMember = async (userId: string, usergroupId: string): Promise<boolean> => {
    try {
      return (await this.members(usergroupId)).has(userId);
    } catch (err) {
      this.onError(err);
      return false;
    }
  };

  private async members(usergroupId: string): Promise<Set<string>> {
    const hit = this.cache.get(usergroupId);
    if (hit && hit.until > this.now()) return hit.users;
    // Fifty clicks at once share one request.
    let pending = this.inflight.get(usergroupId);
    if (!pending) {
      pending = this.fetch(usergroupId).finally(() => this.inflight.delete(usergroupId));
      this.inflight.set(usergroupId, pending);
    }
    return pending;
  }

  private async fetch(usergroupId: string): Promise<Set<string>> {
    const ms = this.timeoutMs;
    const listed = within(this.client.usergroups.users.list({ usergroup: usergroupId }), ms, () => new DeadlineError(ms, `usergroups.users.list ${usergroupId}: no answer in ${ms} ms`));
    const users = new Set(responseSchema.parse(await listed).users);
    this.cache.set(usergroupId, { users, until: this.now() + this.ttlMs });
    return users;
  }
}
