// parseCatalog reports, never throws, whatever the file holds.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseCatalog, type CatalogResult } from '../../lib/catalog/index.ts';

const EXAMPLE_TEXT = readFileSync(fileURLToPath(new URL('../../leakhound.example.yml', import.meta.url)), 'utf8');
const JSON_TEXT = readFileSync(fileURLToPath(new URL('../fixtures/catalog/shared-database.json', import.meta.url)), 'utf8');

function wellFormed(result: CatalogResult): boolean {
  if (result.ok) return result.catalog.services.length > 0;
  return result.error.issues.length > 0 && result.error.issues.every((i) => i.path.length > 0 && i.message.length > 0);
}

function mutate(doc: unknown, choices: number[], replacement: unknown): unknown {
  const copy = structuredClone(doc);
  let node: unknown = copy;
  for (let depth = 0; depth < choices.length; depth++) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[choices[depth]! % keys.length]!;
    const container = node as Record<string, unknown>;
    if (depth === choices.length - 1 || typeof container[key] !== 'object' || container[key] === null) {
      if (replacement === undefined) delete container[key];
      else container[key] = replacement;
      break;
    }
    node = container[key];
  }
  return copy;
}

const env = fc.dictionary(
  fc.constantFrom('LEAKHOUND_DEFAULT_CHANNEL', 'LEAKHOUND_DEADLINE_SECONDS', 'LEAKHOUND_DUMP_MAX_BYTES', 'LEAKHOUND_DUMP_CONCURRENCY', 'AWS_REGION'),
  fc.string(),
);

describe('parseCatalog never throws', () => {
  it('on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        expect(wellFormed(parseCatalog(text, 'fuzz.yml'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary JSON and YAML documents', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), env, (value, asYaml, vars) => {
        const text = asYaml ? stringify(value) : JSON.stringify(value);
        expect(wellFormed(parseCatalog(text, 'fuzz.yml', { env: vars }))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on mutated example and fixture catalogs', () => {
    const docs = [parse(EXAMPLE_TEXT) as unknown, JSON.parse(JSON_TEXT) as unknown];
    fc.assert(
      fc.property(
        fc.constantFrom(...docs),
        fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
        fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.integer()),
        env,
        (doc, choices, replacement, vars) => {
          const text = stringify(mutate(doc, choices, replacement));
          expect(wellFormed(parseCatalog(text, 'mutated.yml', { env: vars }))).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    const result = parseCatalog(bomb, 'bomb.yml');
    expect(result.ok).toBe(false);
  });
});
