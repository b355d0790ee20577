// Built once per Lambda container, on first use, and built again after a failure (a transient
// read error or a fixed configuration must not need a cold start to recover).

export interface Lazy<T> {
  get(): Promise<T>;
  /** Replaces the value (tests, the local dev server); null forgets it. */
  set(value: T | null): void;
}

export function lazy<T>(build: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | null = null;
  return {
    get() {
      pending ??= build().catch((err: unknown) => {
        pending = null;
        throw err;
      });
      return pending;
    },
    set(value) {
      pending = value === null ? null : Promise.resolve(value);
    },
  };
}
