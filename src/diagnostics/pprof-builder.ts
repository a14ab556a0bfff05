import { findSourceMap, type SourceMap } from 'node:module';
import { gzipSync } from 'node:zlib';
import {
  Label,
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { relativeFile } from '../memory/registry.ts';

/** A V8 call frame as the inspector reports it (line and column are 0-based). */
export interface V8CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** One sample type of a profile, e.g. `['inuse_space', 'bytes']`. */
export type SampleTypeSpec = readonly [type: string, unit: string];

/**
 * Accumulates samples into a pprof `Profile`: one `Function` and one `Location` per distinct
 * V8 call frame, deduplicated strings, and stacks stored leaf first as `profile.proto` wants.
 */
export class PprofBuilder {
  readonly #strings = new StringTable();
  readonly #functions: PprofFunction[] = [];
  readonly #locations: Location[] = [];
  readonly #locationByFrame = new Map<string, number>();
  readonly #samples: Sample[] = [];
  readonly #sourceMaps = new Map<string, SourceMap | null>();
  readonly #sampleTypes: ValueType[];

  constructor(sampleTypes: readonly SampleTypeSpec[]) {
    this.#sampleTypes = sampleTypes.map(([type, unit]) => this.#valueType(type, unit));
  }

  /** Returns the location id of a call frame, creating its function and location once. */
  location(frame: V8CallFrame): number {
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}`;
    let id = this.#locationByFrame.get(key);
    if (id !== undefined) return id;
    id = this.#locations.length + 1;
    const original = this.#original(frame);
    // pprof lines are 1-based; V8 reports the function's start position 0-based.
    const line = original.lineNumber + 1;
    // Anonymous functions carry their position, so two of them never merge into one node.
    const name = this.#strings.dedup(
      frame.functionName ||
        (original.url === '' ? '(anonymous)' : `(anonymous ${relativeFile(original.url)}:${line})`),
    );
    this.#functions.push(
      new PprofFunction({
        id,
        name,
        systemName: name,
        filename: this.#strings.dedup(original.url),
        startLine: line,
      }),
    );
    this.#locations.push(new Location({ id, line: [new Line({ functionId: id, line })] }));
    this.#locationByFrame.set(key, id);
    return id;
  }

  /**
   * Adds one sample: `stack` is leaf first, `values` follow the sample types in order, `labels`
   * become string labels (`go tool pprof -tags` shows them).
   */
  sample(
    stack: readonly number[],
    values: readonly number[],
    labels?: Readonly<Record<string, string>>,
  ): void {
    const label =
      labels === undefined
        ? []
        : Object.entries(labels).map(
            ([key, str]) =>
              new Label({ key: this.#strings.dedup(key), str: this.#strings.dedup(str) }),
          );
    this.#samples.push(new Sample({ locationId: [...stack], value: [...values], label }));
  }

  /** Builds the profile; `period` is expressed in `periodType`. */
  build(options: {
    periodType: SampleTypeSpec;
    period: number;
    timeNanos: number;
    durationNanos: number;
    defaultSampleType: string;
    comments?: readonly string[];
  }): Profile {
    return new Profile({
      sampleType: this.#sampleTypes,
      sample: this.#samples,
      location: this.#locations,
      function: this.#functions,
      stringTable: this.#strings,
      periodType: this.#valueType(...options.periodType),
      period: Math.round(options.period),
      timeNanos: Math.round(options.timeNanos),
      durationNanos: Math.round(options.durationNanos),
      defaultSampleType: this.#strings.dedup(options.defaultSampleType),
      comment: (options.comments ?? []).map((c) => this.#strings.dedup(c)),
    });
  }

  /**
   * The frame's position in the original source when the process has source maps on (tsx,
   * `--enable-source-maps`): V8 reports positions in the generated code, which for transpiled
   * TypeScript is often one long line.
   */
  #original(frame: V8CallFrame): { url: string; lineNumber: number } {
    if (!process.sourceMapsEnabled || frame.url === '' || frame.url.startsWith('node:'))
      return frame;
    let map = this.#sourceMaps.get(frame.url);
    if (map === undefined) {
      map = findSourceMap(frame.url) ?? null;
      this.#sourceMaps.set(frame.url, map);
    }
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry === undefined || !('originalLine' in entry)) return frame;
    return { url: entry.originalSource, lineNumber: entry.originalLine };
  }

  #valueType(type: string, unit: string): ValueType {
    return new ValueType({ type: this.#strings.dedup(type), unit: this.#strings.dedup(unit) });
  }
}

/** Encodes a profile as gzipped `profile.proto`, the form `go tool pprof` fetches. */
export function encodeProfile(profile: Profile): Buffer {
  return gzipSync(profile.encode());
}
