// parseAlerts is a webhook boundary: whatever arrives, it answers and never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALERT_SOURCES, parseAlerts, type ParseAlertsResult } from '../../lib/alerts/index.ts';
import { alertFixture, alertFixtureNames } from '../support/alert-fixtures.ts';

function wellFormed(result: ParseAlertsResult): boolean {
  if (result.ok) return result.alerts.every((a) => typeof a.name === 'string' && !Number.isNaN(Date.parse(a.time)));
  return result.error.issues.length > 0 && result.error.message.length > 0;
}

type Json = unknown;

/** Replace, delete or retype the value at one random path of a fixture. */
function mutate(doc: Json, choices: number[], replacement: Json): Json {
  const copy = structuredClone(doc);
  let node: Json = copy;
  for (let depth = 0; depth < choices.length; depth++) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[choices[depth]! % keys.length]!;
    const container = node as Record<string, Json>;
    const last = depth === choices.length - 1 || typeof container[key] !== 'object' || container[key] === null;
    if (last) {
      if (replacement === undefined) delete container[key];
      else container[key] = replacement;
      break;
    }
    node = container[key];
  }
  return copy;
}

/** SNS messages hide a JSON document in a string; mutate inside it too. */
function mutateSnsMessage(doc: Json, choices: number[], replacement: Json): Json {
  const copy = structuredClone(doc) as { Records?: { Sns?: { Message?: string } }[]; Message?: string };
  const holder = copy.Records?.[0]?.Sns ?? copy;
  if (typeof holder.Message !== 'string') return copy;
  holder.Message = JSON.stringify(mutate(JSON.parse(holder.Message) as Json, choices, replacement));
  return copy;
}

const fixtures = alertFixtureNames().map((name) => alertFixture(name));
const replacement = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constant('__proto__'));

describe('parseAlerts never throws', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.constantFrom(...ALERT_SOURCES), { nil: undefined }), (value, hint) => {
        expect(wellFormed(parseAlerts(value, hint))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary strings (raw bodies)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        expect(wellFormed(parseAlerts(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('on mutated fixtures', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        replacement,
        fc.boolean(),
        (fixture, choices, value, inner) => {
          const doc = inner ? mutateSnsMessage(fixture, choices, value) : mutate(fixture, choices, value);
          expect(wellFormed(parseAlerts(doc))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on objects shaped like each source with junk inside', () => {
    const shaped = fc.oneof(
      fc.record({ Records: fc.array(fc.record({ Sns: fc.record({ Message: fc.oneof(fc.string(), fc.json()) }) })) }),
      fc.record({ 'detail-type': fc.constant('CloudWatch Alarm State Change'), detail: fc.jsonValue() }),
      fc.record({ version: fc.constantFrom('1', '4'), alerts: fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))) }),
      fc.record({ AlarmName: fc.string(), NewStateValue: fc.string(), StateChangeTime: fc.string(), NewStateReason: fc.string() }),
    );
    fc.assert(
      fc.property(shaped, (value) => {
        expect(wellFormed(parseAlerts(value))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
