// A store whose every call waits a random while first, as a remote store's calls do: the
// order in which concurrent callers see their answers then varies from run to run.
import type { Store } from '../../lib/store/model.ts';

/** A seeded generator (mulberry32): a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `store`, with each method call delayed by `jitterMs()` milliseconds before it runs. */
export function withLatency<S extends Store>(store: S, jitterMs: () => number): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, jitterMs()));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
