/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: what
 * Prometheus would refuse or misread throws a `SyntaxError` naming the line. (The npm package
 * `parse-prometheus-text-format` was considered: it checks neither names nor values and merges the
 * buckets of a labelled histogram across label sets, so it cannot tell a good exposition from a
 * broken one.)
 *
 * Checked: `# HELP` and `# TYPE` lines (at most one each per family, TYPE before the samples, a
 * known type), metric and label names, label value escapes, duplicate labels, values and
 * timestamps, that a family's samples are contiguous and named as its type allows, that no series
 * repeats, and for histograms cumulative buckets in increasing `le` order ending in `+Inf` equal
 * to `_count`.
 *
 * @module
 */

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  /** The sample's own name, e.g. `argus_db_latency_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help?: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Decimal floats as Go's `strconv.ParseFloat` reads them (Prometheus uses it; hex floats left out). */
const DECIMAL_FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** ParseFloat's special values: case-insensitive, a sign only on infinities (prom-client: `Nan`). */
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const NAN = /^nan$/i;
const INTEGER = /^-?[0-9]+$/;
const TYPES: readonly string[] = ["counter", "gauge", "histogram", "summary", "untyped"];

function fail(lineNumber: number, problem: string, line: string): never {
  throw new SyntaxError(
    `Cannot parse line ${lineNumber} of the exposition text as ${problem}: current value is ${
      JSON.stringify(line)
    }`,
  );
}

function parseFloatStrict(text: string): number | undefined {
  if (DECIMAL_FLOAT.test(text)) return Number(text);
  if (INFINITY.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (NAN.test(text)) return NaN;
  return undefined;
}

/** Unescapes HELP text: only `\\` and `\n` are escapes. */
function unescapeHelp(text: string, lineNumber: number, line: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    return fail(lineNumber, "a HELP line (only \\\\ and \\n are escapes)", line);
  });
}

/** Parses `name{labels} value [timestamp]`. */
function parseSample(line: string, lineNumber: number): Sample {
  const nameMatch = /^[^\s{]+/.exec(line);
  const name = nameMatch?.[0] ?? "";
  if (!METRIC_NAME.test(name)) fail(lineNumber, "a sample with a valid metric name", line);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const labelMatch = /^[^=\s,}]*/.exec(line.slice(i))!;
      const label = labelMatch[0];
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        fail(lineNumber, "a sample with valid label names", line);
      }
      if (Object.hasOwn(labels, label)) fail(lineNumber, "a sample without repeated labels", line);
      i += label.length;
      if (line[i] !== "=" || line[i + 1] !== '"') {
        fail(lineNumber, 'a sample whose labels read name="value"', line);
      }
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) fail(lineNumber, "a sample with closed label values", line);
        if (c === '"') break;
        if (c === "\\") {
          const next = line[i + 1];
          if (next === "\\" || next === '"') value += next;
          else if (next === "n") value += "\n";
          else fail(lineNumber, 'label values whose only escapes are \\\\, \\" and \\n', line);
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      labels[label] = value;
      i++; // the closing quote
      if (line[i] === ",") {
        i++;
        if (line[i] === "}") fail(lineNumber, "a label set without a trailing comma", line);
      } else if (line[i] !== "}") {
        fail(lineNumber, "labels separated by commas", line);
      }
    }
    i++; // the closing brace
  }
  if (line[i] !== " ") fail(lineNumber, "a sample with a space before its value", line);
  const fields = line.slice(i + 1).split(" ");
  if (fields.length > 2 || fields.some((f) => f === "")) {
    fail(lineNumber, "a sample of a value and an optional timestamp, single-spaced", line);
  }
  const value = parseFloatStrict(fields[0]!);
  if (value === undefined) fail(lineNumber, "a sample whose value is a float", line);
  const sample: Sample = { name, labels, value };
  if (fields[1] !== undefined) {
    if (!INTEGER.test(fields[1])) fail(lineNumber, "a sample whose timestamp is an integer", line);
    sample.timestampMs = Number(fields[1]);
  }
  return sample;
}

/** The family a sample name belongs to, given the families whose TYPE was declared. */
function familyName(sample: string, types: Map<string, MetricType>): string {
  for (const suffix of ["_bucket", "_count", "_sum"]) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return sample;
}

function seriesKey(sample: Sample): string {
  const labels = Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${sample.name}${JSON.stringify(labels)}`;
}

function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, { le: number; value: number }[]>();
  const counts = new Map<string, number>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (sample.name === `${family.name}_bucket`) {
      const bound = le === undefined ? undefined : parseFloatStrict(le);
      if (bound === undefined || Number.isNaN(bound)) {
        throw new SyntaxError(
          `Cannot read the histogram ${family.name} as each bucket needs a float "le" label: ` +
            `current value is ${JSON.stringify(le)}`,
        );
      }
      groups.set(key, [...(groups.get(key) ?? []), { le: bound, value: sample.value }]);
    } else if (sample.name === `${family.name}_count`) {
      counts.set(key, sample.value);
    } else if (sample.name !== `${family.name}_sum`) {
      throw new SyntaxError(
        `Cannot read the histogram ${family.name} as its samples must be _bucket, _sum and ` +
          `_count: current value is ${sample.name}`,
      );
    }
  }
  for (const [key, buckets] of groups) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]!.le > buckets[i - 1]!.le) || buckets[i]!.value < buckets[i - 1]!.value) {
        throw new SyntaxError(
          `Cannot read the histogram ${family.name} as its buckets must rise in "le" and count ` +
            `cumulatively: current value is ${JSON.stringify(buckets)} for labels ${key}`,
        );
      }
    }
    const last = buckets.at(-1)!;
    if (last.le !== Infinity || last.value !== counts.get(key)) {
      throw new SyntaxError(
        `Cannot read the histogram ${family.name} as its last bucket must be le="+Inf" and ` +
          `equal _count: current value is ${JSON.stringify(last)} for labels ${key}, ` +
          `count ${counts.get(key)}`,
      );
    }
  }
}

/** Parses an exposition; families by name, in their order of appearance. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text !== "" && !text.endsWith("\n")) {
    throw new SyntaxError("Cannot parse the exposition text as its last line must end with \\n");
  }
  const families = new Map<string, MetricFamily>();
  const types = new Map<string, MetricType>();
  const helps = new Set<string>();
  const series = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;

  const enter = (name: string) => {
    if (current === name) return;
    if (finished.has(name)) {
      throw new SyntaxError(`Cannot parse the exposition text as family ${name} is split in two`);
    }
    if (current !== undefined) finished.add(current);
    current = name;
  };
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (found === undefined) {
      found = { name, type: "untyped", samples: [] };
      families.set(name, found);
    }
    return found;
  };

  const lines = text.split("\n");
  lines.pop(); // after the final \n
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line === "") return;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta === null) {
        if (/^#\s*(?:HELP|TYPE)\b/.test(line)) fail(lineNumber, "a HELP or TYPE line", line);
        return; // a comment
      }
      const [, keyword, name, rest] = meta as unknown as [string, string, string, string?];
      if (!METRIC_NAME.test(name)) fail(lineNumber, `a ${keyword} line naming a metric`, line);
      enter(name);
      const target = family(name);
      if (keyword === "HELP") {
        if (helps.has(name)) fail(lineNumber, "the only HELP line of its family", line);
        helps.add(name);
        target.help = unescapeHelp(rest ?? "", lineNumber, line);
      } else {
        if (rest === undefined || !TYPES.includes(rest)) {
          fail(lineNumber, `a TYPE line of ${TYPES.join(", ")}`, line);
        }
        if (types.has(name) || target.samples.length > 0) {
          fail(lineNumber, "the only TYPE line of its family, before its samples", line);
        }
        types.set(name, rest as MetricType);
        target.type = rest as MetricType;
      }
      return;
    }
    const sample = parseSample(line, lineNumber);
    const name = familyName(sample.name, types);
    enter(name);
    const target = family(name);
    if (
      (target.type === "counter" || target.type === "gauge" || target.type === "untyped") &&
      sample.name !== name
    ) {
      fail(lineNumber, `a sample of the ${target.type} ${name}`, line);
    }
    const key = seriesKey(sample);
    if (series.has(key)) fail(lineNumber, "a series not seen before", line);
    series.add(key);
    target.samples.push(sample);
  });
  for (const found of families.values()) {
    if (found.type === "histogram") checkHistogram(found);
  }
  return families;
}

/** The value of the one sample of `family` named `name` with exactly `labels`. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return families.get(family)?.samples.find((s) =>
    s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want
  )?.value;
}
