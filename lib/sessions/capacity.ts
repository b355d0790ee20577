// Connection capacity arithmetic, shared by both engines and the verdict.
import type { Capacity } from './model.ts';

export function capacityOf(input: {
  maxConnections: number;
  reservedForSuperusers: number;
  reservedForRoles: number | null;
  availableToApplications: number;
  inUse: number;
}): Capacity {
  const available = Math.max(0, input.availableToApplications);
  const inUse = Math.max(0, input.inUse);
  return {
    ...input,
    availableToApplications: available,
    inUse,
    free: Math.max(0, available - inUse),
    full: inUse >= available,
  };
}

/** Full, or within 5% (at least one slot) of full. */
export function isNearFull(c: Capacity): boolean {
  return c.full || c.free <= Math.max(1, Math.ceil(c.availableToApplications * 0.05));
}
