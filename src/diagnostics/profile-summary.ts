import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { InvalidArgumentError } from '../errors.ts';

/** One function's share of a profile, in the unit of the chosen sample type. */
export interface FunctionTotal {
  name: string;
  file: string;
  line: number;
  /** Value of samples whose leaf is this function. */
  flat: number;
  /** Value of samples with this function anywhere on the stack. */
  cum: number;
}

/** A profile reduced to per-function totals for one sample type, largest `flat` first. */
export interface ProfileSummary {
  sampleType: string;
  unit: string;
  /** Sum of the sample type over every sample. */
  total: number;
  functions: FunctionTotal[];
}

/**
 * Decodes `profile.proto` bytes, gzipped or not; throws `InvalidArgumentError` when the bytes
 * are not a profile.
 */
export function decodeProfile(bytes: Uint8Array): Profile {
  let profile: Profile;
  try {
    // gzip streams start with 1f 8b; a truncated or corrupt one is "not a profile" too.
    const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    profile = Profile.decode(raw);
  } catch (err) {
    throw new InvalidArgumentError(`not a pprof profile (${(err as Error).message})`);
  }
  if (profile.sampleType.length === 0)
    throw new InvalidArgumentError('not a pprof profile (no sample types)');
  return profile;
}

/** The sample type names of a profile, e.g. `['samples', 'inuse_space']`. */
export function sampleTypes(profile: Profile): string[] {
  const strings = profile.stringTable.strings;
  return profile.sampleType.map((t) => strings[Number(t.type)] ?? '');
}

/**
 * Sums a profile per function for `sampleType` (default: the profile's default sample type,
 * else its last), the way `go tool pprof -top` does at function granularity.
 */
export function summarizeProfile(profile: Profile, sampleType?: string): ProfileSummary {
  const strings = profile.stringTable.strings;
  const types = sampleTypes(profile);
  const wanted =
    sampleType ?? (strings[Number(profile.defaultSampleType)] || types[types.length - 1]);
  const index = types.indexOf(wanted ?? '');
  if (index < 0) {
    throw new InvalidArgumentError(
      `the profile has no sample type "${wanted}"; it has ${types.join(', ')}`,
    );
  }
  const unit = strings[Number(profile.sampleType[index]!.unit)] ?? '';
  const functionById = new Map(profile.function.map((f) => [Number(f.id), f]));
  const locationById = new Map(profile.location.map((l) => [Number(l.id), l]));
  const totals = new Map<string, FunctionTotal>();
  const entry = (functionId: number): FunctionTotal => {
    const fn = functionById.get(functionId);
    const name = fn ? (strings[Number(fn.name)] ?? '?') : '?';
    const file = fn ? (strings[Number(fn.filename)] ?? '') : '';
    const line = fn ? Number(fn.startLine) : 0;
    const key = `${name}\0${file}\0${line}`;
    let total = totals.get(key);
    if (total === undefined) {
      total = { name, file, line, flat: 0, cum: 0 };
      totals.set(key, total);
    }
    return total;
  };
  let total = 0;
  for (const sample of profile.sample) {
    const value = Number(sample.value[index] ?? 0);
    if (value === 0) continue;
    total += value;
    const seen = new Set<FunctionTotal>();
    sample.locationId.forEach((locationId, depth) => {
      const location = locationById.get(Number(locationId));
      // Inlined frames come innermost first; the leaf is the first line of the first location.
      for (const [i, line] of (location?.line ?? []).entries()) {
        const fn = entry(Number(line.functionId));
        if (depth === 0 && i === 0) fn.flat += value;
        if (!seen.has(fn)) {
          seen.add(fn);
          fn.cum += value;
        }
      }
    });
  }
  return { sampleType: wanted ?? '', unit, total, functions: sortByFlat([...totals.values()]) };
}

/**
 * The growth from `base` to `current`: per function, current minus base (negative where it
 * shrank), largest growth first. Both must be summaries of the same sample type.
 */
export function diffSummaries(base: ProfileSummary, current: ProfileSummary): ProfileSummary {
  if (base.sampleType !== current.sampleType) {
    throw new InvalidArgumentError(
      `cannot diff "${current.sampleType}" against a base of "${base.sampleType}"`,
    );
  }
  const key = (f: FunctionTotal) => `${f.name}\0${f.file}\0${f.line}`;
  const out = new Map<string, FunctionTotal>();
  for (const f of current.functions) out.set(key(f), { ...f });
  for (const f of base.functions) {
    const existing = out.get(key(f));
    if (existing) {
      existing.flat -= f.flat;
      existing.cum -= f.cum;
    } else {
      out.set(key(f), { ...f, flat: -f.flat, cum: -f.cum });
    }
  }
  const functions = [...out.values()].filter((f) => f.flat !== 0 || f.cum !== 0);
  return { ...current, total: current.total - base.total, functions: sortByFlat(functions) };
}

function sortByFlat(functions: FunctionTotal[]): FunctionTotal[] {
  return functions.sort((a, b) => b.flat - a.flat || b.cum - a.cum || a.name.localeCompare(b.name));
}
