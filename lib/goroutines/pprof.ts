// Reader for `/debug/pprof/goroutine` (debug=0): a gzipped pprof protobuf, decoded with the
// maintained `pprof-format` package. Each sample is one distinct stack + label set with a count.
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { inferState, isHiddenRuntimeFrame } from './functions.ts';
import { GroupBuilder, stackKey } from './grouping.ts';
import { labelKey, type Labels } from './labels.ts';
import type { Frame } from './model.ts';

export class ProfileDecodeError extends Error {}

const num = (n: number | bigint): number => (typeof n === 'bigint' ? Number(n) : n);

/** Decodes a (possibly gzipped) goroutine profile. `maxBytes` caps the inflated size. */
export function readPprof(data: Uint8Array, maxBytes: number): { groups: GroupBuilder } {
  let raw: Uint8Array = data;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      raw = gunzipSync(data, { maxOutputLength: maxBytes });
    } catch (err) {
      throw new ProfileDecodeError(`not a valid gzip stream (${(err as Error).message})`);
    }
  }
  let profile: Profile;
  try {
    profile = Profile.decode(raw);
  } catch (err) {
    throw new ProfileDecodeError(`not a valid pprof profile (${(err as Error).message})`);
  }
  const strings = profile.stringTable.strings;
  const str = (i: number | bigint): string => strings[num(i)] ?? '';
  const sampleTypes = profile.sampleType.map((t) => str(t.type));
  if (sampleTypes.length === 0 || (sampleTypes[0] !== 'goroutine' && profile.sample.length > 0 && sampleTypes[0] !== 'count')) {
    throw new ProfileDecodeError(`a pprof profile of ${sampleTypes.join(',') || 'no sample type'}, not a goroutine profile`);
  }

  const functions = new Map<number, { name: string; file: string }>();
  for (const f of profile.function) functions.set(num(f.id), { name: str(f.name), file: str(f.filename) });
  // A location expands to one frame per line: inlined callees first, the caller last.
  const locations = new Map<number, Frame[]>();
  for (const loc of profile.location) {
    const frames: Frame[] = [];
    for (const line of loc.line) {
      const fn = functions.get(num(line.functionId));
      frames.push({ function: fn?.name ?? '?', file: fn?.file ?? '', line: num(line.line) });
    }
    locations.set(num(loc.id), frames);
  }

  const groups = new GroupBuilder();
  for (const sample of profile.sample) {
    const all: Frame[] = [];
    for (const id of sample.locationId) {
      const frames = locations.get(num(id));
      if (frames) all.push(...frames);
    }
    const labels: Labels = {};
    for (const l of sample.label) {
      const key = str(l.key);
      if (key) labels[key] = num(l.str) !== 0 ? str(l.str) : String(num(l.num));
    }
    const visible = all.filter((f) => !isHiddenRuntimeFrame(f.function));
    const count = num(sample.value[0] ?? 1);
    const key = stackKey(
      visible.map((f) => f.function),
      [],
      labelKey(labels),
    );
    const state = inferState(all.map((f) => f.function));
    groups.add(key, count, state, null, false, () => ({ frames: visible, createdBy: null, ancestry: [], labels }));
  }
  return { groups };
}
