// The statistics and decisions of the watch, on plain numbers: Mann–Kendall against values worked
// by hand, Theil–Sen's resistance to outliers, and the decisions (quiet when flat or noisy, a
// single spike is not a trend, two points never are, the projection against capacity).
import { describe, expect, it } from 'vitest';
import type { WatchSample } from '../../lib/store/index.ts';
import { assessDeveloping, assessRegression, formatHours, mannKendall, normalCdf, projectionLine, trendOf } from '../../lib/watch/index.ts';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const STEP = 10 * 60_000;
const sample = (i: number, leaked: number, extra: Partial<WatchSample> = {}): WatchSample => ({
  service: 'billing-api',
  at: new Date(T0 + i * STEP).toISOString(),
  leaked,
  idleInTransaction: leaked,
  oldestTransactionMs: null,
  idleHeld: 0,
  awaitDone: leaked,
  poolInUse: null,
  poolMax: null,
  dbInUse: 40 + leaked,
  dbAvailable: 400,
  culprit: 'route=/transfer',
  ...extra,
});
const series = (values: number[], extra?: Partial<WatchSample>) => values.map((v, i) => sample(i, v, extra));

describe('Mann–Kendall', () => {
  it('matches hand-worked values, with the tie correction', () => {
    // 1,2,3,4,5: every pair rises, S = 10, Var = 5·4·15/18 = 16.67, Z = 9/4.08 = 2.20.
    const up = mannKendall([1, 2, 3, 4, 5]);
    expect(up.s).toBe(10);
    expect(up.z).toBeCloseTo(9 / Math.sqrt(50 / 3), 6);
    expect(up.pIncreasing).toBeCloseTo(0.0139, 3);
    // Ties shrink the variance: 1,1,2,2 → S = 4, Var = (4·3·13 − 2·(2·1·9))/18 = 6.67.
    const tied = mannKendall([1, 1, 2, 2]);
    expect(tied.s).toBe(4);
    expect(tied.z).toBeCloseTo(3 / Math.sqrt(120 / 18), 6);
    // All equal: no trend at all, p = 0.5.
    expect(mannKendall([3, 3, 3, 3, 3]).pIncreasing).toBeCloseTo(0.5, 6);
  });

  it('Φ is accurate enough for a 5 % test', () => {
    expect(normalCdf(1.6449)).toBeCloseTo(0.95, 4);
    expect(normalCdf(-1.96)).toBeCloseTo(0.025, 4);
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
  });
});

describe('Theil–Sen', () => {
  it('one wild sample does not move the slope', () => {
    const clean = trendOf(series([10, 12, 14, 16, 18, 20, 22, 24]).map((s) => ({ at: Date.parse(s.at), value: s.leaked })))!;
    const spiked = trendOf(series([10, 12, 14, 90, 18, 20, 22, 24]).map((s) => ({ at: Date.parse(s.at), value: s.leaked })))!;
    expect(clean.perHour).toBeCloseTo(12, 6); // 2 per 10 min
    expect(spiked.perHour).toBeCloseTo(12, 0);
  });
  it('two points are no trend', () => {
    expect(trendOf([{ at: T0, value: 1 }])).toBeNull();
    const d = assessDeveloping(series([1, 50]), { minPoints: 6, horizonHours: 6 });
    expect(d.developing).toBe(false);
    expect(d.reason).toBe('2 of 6 samples');
  });
});

describe('a leak developing', () => {
  it('a steady rise that reaches max_connections within the horizon speaks, with the projection', () => {
    const d = assessDeveloping(series([38, 45, 51, 60, 66, 75, 81, 90, 96, 104, 112, 112, 120]), { minPoints: 6, horizonHours: 6 });
    expect(d.developing).toBe(true);
    expect(d.limit).toBe('max_connections');
    // 400 available, 40 + 120 in use: 240 free at ~41/h.
    expect(d.hoursToLimit!).toBeGreaterThan(5);
    expect(d.hoursToLimit!).toBeLessThan(6.5);
    expect(projectionLine(d, null)).toMatch(/^3\d → 1[12]\d leaked transactions in 2 h; max_connections in ~\d h \d+ min$/);
  });
  it('is quiet when flat, when noisy around a level, after a single spike, or when the limit is beyond the horizon', () => {
    const opts = { minPoints: 6, horizonHours: 6 };
    expect(assessDeveloping(series([5, 5, 5, 5, 5, 5, 5, 5]), opts).developing).toBe(false);
    expect(assessDeveloping(series([5, 7, 4, 6, 5, 8, 4, 6, 5, 7]), opts).developing).toBe(false);
    expect(assessDeveloping(series([5, 5, 5, 5, 5, 60, 5, 5]), opts).developing).toBe(false);
    const slow = assessDeveloping(series([10, 11, 12, 13, 14, 15, 16, 17]), opts); // 6/h, 330 free: 55 h
    expect(slow.developing).toBe(false);
    expect(slow.reason).toBe('limit beyond the 6 h horizon');
  });
  it('without the database numbers, projects against the service\'s own pool', () => {
    const d = assessDeveloping(series([2, 3, 4, 5, 6, 7, 8], { dbInUse: null, dbAvailable: null, poolMax: 20, poolInUse: 8 }), { minPoints: 6, horizonHours: 6 });
    expect(d.developing).toBe(true);
    expect(d.limit).toBe('pool');
    expect(d.hoursToLimit).toBeCloseTo(2, 1);
  });
  it('formats hours as a person reads them', () => {
    expect(formatHours(3 + 40 / 60)).toBe('3 h 40 min');
    expect(formatHours(0.5)).toBe('30 min');
    expect(formatHours(2)).toBe('2 h');
  });
});

describe('regression after a restart', () => {
  const mark = { service: 'billing-api', incidentId: 'i1', restartedAt: new Date(T0).toISOString(), culprit: 'route=/transfer', thread: null, until: new Date(T0 + 24 * 3_600_000).toISOString() };
  it('a leak back from the same code, with its rate', () => {
    const samples = [sample(-1, 40), sample(6, 3), sample(9, 6), sample(12, 9)];
    const r = assessRegression(mark, samples, { now: T0 + 12 * STEP })!;
    expect(r.regressed).toBe(true);
    expect(r.sameCulprit).toBe(true);
    expect(r.leaked).toBe(9);
    expect(r.hoursSinceRestart).toBe(2);
    expect(r.perHour).toBeCloseTo(6, 5);
  });
  it('another culprit is not this incident\'s regression; outside the window nothing is said', () => {
    expect(assessRegression(mark, [sample(6, 9, { culprit: 'route=/report' })], { now: T0 + 6 * STEP })!.regressed).toBe(false);
    expect(assessRegression(mark, [sample(6, 9)], { now: T0 + 25 * 3_600_000 })).toBeNull();
  });
});
