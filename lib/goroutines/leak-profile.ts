// The goroutine leak profile (Go 1.26 behind GOEXPERIMENT=goroutineleakprofile, default from
// Go 1.27, `/debug/pprof/goroutineleak`): the goroutines the garbage collector proved can never
// run again. Its stacks are marked in the replica's ordinary dump as proved leaks, so every
// signature that matches them is confirmed, and those no signature matches become goroutine leaks.
import type { Dump } from './model.ts';

const LEAKED = ' (leaked)';

/**
 * Returns how many goroutines were marked. Moves up to the leak profile's count of each stack into a `(leaked)` state of the same stack in
 * `dump` (same format, so the keys match). Stacks the dump lacks (cut at 64 MiB) are added.
 */
export function markProvedLeaks(dump: Dump, leakProfile: Pick<Dump, 'groups'>): number {
  const byKey = new Map(dump.groups.map((g) => [g.key, g] as const));
  let marked = 0;
  for (const leak of leakProfile.groups) {
    // Only what the profile itself says is leaked (`goroutineleak profile:` header, `(leaked)`
    // states): a server answering every path with its goroutine dump proves nothing.
    const leaked = Object.entries(leak.states).reduce((n, [state, c]) => (state.endsWith(LEAKED) ? n + c : n), 0);
    if (leaked === 0) continue;
    marked += leaked;
    const group = byKey.get(leak.key);
    if (!group) {
      const states: Record<string, number> = {};
      for (const [state, n] of Object.entries(leak.states)) if (state.endsWith(LEAKED)) states[state] = n;
      dump.groups.push({ ...leak, count: leaked, states });
      dump.goroutines += leaked;
      continue;
    }
    let proved = leaked;
    for (const [state, n] of Object.entries(group.states)) {
      if (proved === 0 || state.endsWith(LEAKED)) continue;
      const moved = Math.min(n, proved);
      proved -= moved;
      if (moved === n) delete group.states[state];
      else group.states[state] = n - moved;
      group.states[`${state}${LEAKED}`] = (group.states[`${state}${LEAKED}`] ?? 0) + moved;
    }
  }
  dump.groups.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
  return marked;
}
