// Generic mutators for fuzzing: edits of text (what truncation, transport and hostile senders do
// to a document) and of JSON documents (a field deleted, retyped, emptied or blown up, also
// inside JSON carried as a string, as SNS carries the alarm in `Message`).
import fc from 'fast-check';

export type TextEdit =
  | { op: 'cut'; at: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'flip'; at: number; code: number };

/** An edit of text; `tokens` are the pieces of syntax a parser keys on. */
export function textEdit(tokens: readonly string[]): fc.Arbitrary<TextEdit> {
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...tokens) },
    { weight: 1, arbitrary: fc.string({ maxLength: 24, unit: 'binary' }) },
  );
  return fc.oneof(
    fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.nat(400) }),
    { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: piece }) },
    fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 300 }), times: fc.integer({ min: 2, max: 20 }) }),
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), code: fc.integer({ min: 0, max: 0xffff }) }),
  );
}

export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  let s = text;
  for (const e of edits) {
    const at = s.length ? e.at % (s.length + 1) : 0;
    switch (e.op) {
      case 'cut':
        s = s.slice(0, at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + e.len);
        break;
      case 'insert':
        s = s.slice(0, at) + e.text + s.slice(at);
        break;
      case 'repeat':
        s = s.slice(0, at) + s.slice(at, at + e.len).repeat(e.times) + s.slice(at);
        break;
      case 'flip':
        s = s.slice(0, at) + String.fromCharCode(e.code) + s.slice(at + 1);
        break;
    }
  }
  return s;
}

/** A real document from `seeds`, edited 1–8 times. */
export function mutatedText(seeds: readonly string[], tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(textEdit(tokens), { minLength: 1, maxLength: 8 }))
    .map(([seed, edits]) => applyTextEdits(seed, edits));
}

/** Byte-level edits for binary formats (a pprof protobuf, gzip). */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'cut', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }), len: fc.nat(64) });
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 8 })).map(([seed, edits]) => {
    let b = Buffer.from(seed);
    for (const e of edits) {
      const at = b.length ? e.at % b.length : 0;
      if (e.op === 'set') b[at] = e.byte;
      else if (e.op === 'cut') b = b.subarray(0, at);
      else if (e.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.alloc(e.len + 1, e.byte), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
    }
    return new Uint8Array(b);
  });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type JsonEdit =
  | { op: 'delete'; path: number }
  | { op: 'set'; path: number; value: Json }
  | { op: 'retype'; path: number }
  | { op: 'huge'; path: number; size: number }
  | { op: 'grow'; path: number; times: number };

const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>('', '__proto__', 'constructor', 'NaN', '-1', '1e309', '9007199254740993', '\u0000', '<!channel>', 'null', '[]', '{}', ' ', 'x'.repeat(300)),
  fc.constantFrom<Json>(-1, 0, 1e308, -0, 0.5, Number.MAX_SAFE_INTEGER, true, false, null, [], {}),
);

export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), path: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.nat(), value: hostile }) },
  fc.record({ op: fc.constant('retype' as const), path: fc.nat() }),
  fc.record({ op: fc.constant('huge' as const), path: fc.nat(), size: fc.integer({ min: 1_000, max: 50_000 }) }),
  fc.record({ op: fc.constant('grow' as const), path: fc.nat(), times: fc.integer({ min: 2, max: 50 }) }),
);

interface Slot {
  holder: Record<string, Json> | Json[];
  key: string | number;
}

/** Every value in the document (strings that hold a JSON object count as documents too). */
function slots(root: { v: Json }): Slot[] {
  const out: Slot[] = [];
  const visit = (holder: Record<string, Json> | Json[], key: string | number) => {
    out.push({ holder, key });
    const value = (holder as Record<string | number, Json>)[key];
    if (Array.isArray(value)) value.forEach((_, i) => visit(value, i));
    else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) visit(value, k);
  };
  visit(root as unknown as Record<string, Json>, 'v');
  return out;
}

function retype(v: Json): Json {
  if (typeof v === 'string') return Number.isFinite(Number(v)) && v.trim() !== '' ? Number(v) : [v];
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v[0] ?? null;
  if (v !== null && typeof v === 'object') return Object.values(v);
  return v === null ? {} : String(v);
}

/** Applies `edits`, descending into string fields that hold JSON (SNS `Message`). */
export function applyJsonEdits(doc: Json, edits: readonly JsonEdit[]): Json {
  const root = { v: structuredClone(doc) };
  for (const e of edits) {
    const all = slots(root);
    const slot = all[e.path % all.length]!;
    const holder = slot.holder as Record<string | number, Json>;
    const current = holder[slot.key]!;
    if (typeof current === 'string' && current.startsWith('{') && e.path % 2 === 0) {
      try {
        holder[slot.key] = JSON.stringify(applyJsonEdits(JSON.parse(current) as Json, [{ ...e, path: Math.floor(e.path / 2) }]));
        continue;
      } catch {
        // Not JSON after all: edit it as a value.
      }
    }
    switch (e.op) {
      case 'delete':
        if (slot.key === 'v') root.v = null;
        else if (Array.isArray(slot.holder)) slot.holder.splice(slot.key as number, 1);
        else delete holder[slot.key];
        break;
      case 'set':
        holder[slot.key] = e.value;
        break;
      case 'retype':
        holder[slot.key] = retype(current);
        break;
      case 'huge':
        holder[slot.key] = typeof current === 'string' ? current.repeat(Math.ceil(e.size / Math.max(1, current.length))).slice(0, e.size) : 'A'.repeat(e.size);
        break;
      case 'grow':
        holder[slot.key] = Array.isArray(current) ? Array.from({ length: e.times }, (_, i) => structuredClone(current[i % Math.max(1, current.length)] ?? null)) : Array(e.times).fill(current);
        break;
    }
  }
  return root.v;
}

export function mutatedJson(seeds: readonly Json[]): fc.Arbitrary<Json> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(jsonEdit, { minLength: 1, maxLength: 5 })).map(([seed, edits]) => applyJsonEdits(seed, edits));
}

export type { Json };
