import { errorMessage } from '../errors/index.ts';
// Small, total conversions used by every parser: nothing here throws.

/** Any timestamp the sources send (`…+0000`, micro-seconds, `Z`) → ISO 8601 UTC, or null. */
export function toIsoTime(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  // CloudWatch writes offsets without a colon (`+0000`); make them ISO before parsing.
  const normalised = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalised);
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  // Alertmanager's "not ended" marker is year 1; treat it as no time at all.
  if (date.getUTCFullYear() < 1970) return null;
  return date.toISOString();
}

export function finiteOrNull(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** `…datapoints [812.0 (10/05/21 17:24:00), 790.0 (…)] was greater than … threshold (800.0)…` */
export function valueFromReason(reason: string): number | null {
  const match = /\[\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*\(/.exec(reason);
  return match ? finiteOrNull(match[1]) : null;
}

export function thresholdFromReason(reason: string): number | null {
  const match = /threshold \((-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\)/.exec(reason);
  return match ? finiteOrNull(match[1]) : null;
}

/** JSON.parse that reports instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === '' ? null : value;
}
