import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionTrend, minutesToExhaustion, slopePerMinute, type MetricPoint } from '../../lib/metrics/index.ts';

const T0 = Date.parse('2024-03-14T10:00:00Z');
const series = (values: number[], stepSeconds = 60): MetricPoint[] =>
  values.map((value, i) => ({ time: new Date(T0 + i * stepSeconds * 1000).toISOString(), value }));

describe('slopePerMinute', () => {
  it('is exact on a straight line, whatever the sampling period', () => {
    expect(slopePerMinute(series([100, 104, 108, 112, 116]))).toBeCloseTo(4, 10);
    expect(slopePerMinute(series([100, 102, 104], 30))).toBeCloseTo(4, 10);
  });

  it('fits noisy data by least squares', () => {
    // y = 10 + 2x with residuals +1, -1, -1, +1 → slope stays 2.
    expect(slopePerMinute(series([11, 11, 13, 17]))).toBeCloseTo(2, 10);
  });

  it('does not depend on point order', () => {
    const points = series([5, 9, 14, 20, 21]);
    expect(slopePerMinute([...points].reverse())).toBeCloseTo(slopePerMinute(points)!, 10);
  });

  it('is null without two distinct times, and skips junk points', () => {
    expect(slopePerMinute([])).toBeNull();
    expect(slopePerMinute(series([5]))).toBeNull();
    expect(slopePerMinute([{ time: '2024-03-14T10:00:00Z', value: 1 }, { time: '2024-03-14T10:00:00Z', value: 9 }])).toBeNull();
    expect(slopePerMinute([...series([1, 2]), { time: 'garbage', value: 100 }, { time: '2024-03-14T11:00:00Z', value: NaN }])).toBeCloseTo(1, 10);
  });

  it('recovers any line (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: 2, max: 120 }),
        (slope, intercept, n) => {
          const points = series(Array.from({ length: n }, (_, i) => intercept + slope * i));
          expect(slopePerMinute(points)).toBeCloseTo(slope, 6);
        },
      ),
    );
  });
});

describe('minutesToExhaustion', () => {
  it('projects linearly from the current value', () => {
    expect(minutesToExhaustion(300, 4, 400)).toBe(25);
  });

  it('is 0 at or over capacity, null when flat, falling or unknown', () => {
    expect(minutesToExhaustion(400, 4, 400)).toBe(0);
    expect(minutesToExhaustion(420, -3, 400)).toBe(0);
    expect(minutesToExhaustion(300, 0, 400)).toBeNull();
    expect(minutesToExhaustion(300, 1e-9, 400)).toBeNull();
    expect(minutesToExhaustion(300, -2, 400)).toBeNull();
    expect(minutesToExhaustion(300, null, 400)).toBeNull();
    expect(minutesToExhaustion(300, 4, null)).toBeNull();
    expect(minutesToExhaustion(null, 4, 400)).toBeNull();
  });
});

describe('connectionTrend', () => {
  it('combines slope, utilisation and the ETA', () => {
    const trend = connectionTrend(series([280, 285, 290, 295, 300]), 400);
    expect(trend.slopePerMinute).toBeCloseTo(5, 10);
    expect(trend).toMatchObject({ current: 300, maxConnections: 400, utilisation: 0.75 });
    expect(trend.minutesToMax).toBeCloseTo(20, 10);
    // Last point at 10:04, twenty minutes later.
    expect(trend.exhaustionAt).toBe('2024-03-14T10:24:00.000Z');
  });

  it('has no ETA for a flat or falling series, or without capacity', () => {
    expect(connectionTrend(series([300, 300, 300]), 400)).toMatchObject({ slopePerMinute: 0, minutesToMax: null, exhaustionAt: null });
    expect(connectionTrend(series([300, 250, 200]), 400)).toMatchObject({ minutesToMax: null, exhaustionAt: null });
    expect(connectionTrend(series([1, 2, 3]), null)).toMatchObject({ utilisation: null, minutesToMax: null });
    expect(connectionTrend([], 400)).toEqual({
      slopePerMinute: null,
      current: null,
      maxConnections: 400,
      utilisation: null,
      minutesToMax: null,
      exhaustionAt: null,
    });
  });

  it('uses the newest point as current even when unordered', () => {
    const points = series([10, 20, 30]);
    expect(connectionTrend([points[2]!, points[0]!, points[1]!], 100).current).toBe(30);
  });
});
