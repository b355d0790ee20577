// Turning sizes, durations and low-level errors into the words a gap is written in.
import { escapeControl, redact } from '../redact/index.ts';

/** `64 MiB`, `1.5 MiB`, `512 KiB`, `900 bytes`. */
export function formatBytes(bytes: number): string {
  const units: Array<[string, number]> = [
    ['GiB', 1 << 30],
    ['MiB', 1 << 20],
    ['KiB', 1 << 10],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : Number(value.toFixed(1))} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/** `3 s`, `0.5 s`, `1.25 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/** A failure whose message is already written for a person (an HTTP status explained, a missing IP). */
export class TargetError extends Error {
  override name = 'TargetError';
}


/** An error body (an API server's status message), redacted, on one line, bounded, for a gap. */
export function quoteBody(text: string, max = 160): string {
  const line = escapeControl(redact(text).replace(/\s+/g, ' ').trim());
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * What a body that is not a goroutine dump looks like, by its first bytes, without quoting any
 * of it: a login page or a JSON error of a dump target can carry session tokens or personal data.
 */
export function describeBody(head: Uint8Array, bytes: number): string {
  const text = Buffer.from(head).toString('latin1').trimStart().slice(0, 200).toLowerCase();
  const kind =
    head.length === 0
      ? 'nothing'
      : /^(<!doctype html|<html|<head|<body)/.test(text)
        ? 'an HTML page'
        : /^<\?xml|^<[a-z]/.test(text)
          ? 'XML'
          : /^[{[]/.test(text)
            ? 'JSON'
            : [...head.subarray(0, 64)].some((b) => b < 9 || (b > 13 && b < 32))
              ? 'binary data'
              : 'text';
  return `${formatBytes(bytes)} of ${kind}`;
}
