/**
 * Where a click on a Dashboard chart leads: the Traces page of a latency-heatmap cell (its step and
 * its duration band) or of a traffic step (its step; from the error bars, only failed traces), with
 * the Dashboard's service when one is selected; and the line the charts' tooltips add to say so.
 * Pure, tested in utils/chart_links_test.ts; components/charts/dashboard_clicks.ts finds what was
 * clicked.
 *
 * A step's window is its own, `[step start, step start + step)`, as RFC 3339 `start` and `end`,
 * which the trace list reads as any window. A heatmap bucket holds the durations in `(lower,
 * upper]` milliseconds (store/rollups.ts), while the API's `min_duration_ms` and `max_duration_ms`
 * are inclusive: the lower bound is raised by a nanosecond (the durations' resolution, the API's
 * finest), so a duration on a bound is listed with the bucket that counts it. The bounds come as
 * the API rounds them (to the microsecond): only durations within half a microsecond of an
 * irrational bound can land in the neighbouring cell's list.
 *
 * What a cell counts and what its list shows agree for a trace that enters the system once: the
 * heatmap counts requests (entry spans, each by its own duration), the list traces (by their
 * whole duration). A trace calling another service counts there too, with its callee's shorter
 * duration, while its list shows it by its own.
 *
 * @module
 */
import { apiUrl } from "./api.ts";
import { formatClock } from "./format.ts";
import { bucketRange } from "./dashboard_data.ts";
import { escapeHtml } from "./chart_style.ts";
import type { WireLatencyHeatmap } from "./wire.ts";

/** The Traces page's path. */
const TRACES = "/traces";

/** Milliseconds as the API's duration filters take them: at most six decimals (nanoseconds). */
export function durationParam(ms: number): string {
  return String(Number(ms.toFixed(6)));
}

/** A step's window `[start, end)` as RFC 3339. */
export function stepWindow(startMs: number, stepSeconds: number): { start: string; end: string } {
  return {
    start: new Date(startMs).toISOString(),
    end: new Date(startMs + stepSeconds * 1000).toISOString(),
  };
}

/**
 * The duration filters of heatmap bucket `bucket`: `(lower, upper]` as `min_duration_ms` (lower
 * plus a nanosecond) and `max_duration_ms`; the first bucket has no lower bound, the last no upper.
 */
export function durationBand(
  bounds: readonly (number | null)[],
  bucket: number,
): { min_duration_ms?: string; max_duration_ms?: string } {
  const upper = bounds[bucket];
  const lower = bucket === 0 ? null : bounds[bucket - 1];
  return {
    ...(lower == null ? {} : { min_duration_ms: durationParam(lower + 1e-6) }),
    ...(upper == null ? {} : { max_duration_ms: durationParam(upper) }),
  };
}

/**
 * The traces of heatmap cell `[timeIndex, bucket]` (`bucket` indexing `latency_buckets_ms`) of
 * `service` ("" for all), or undefined when the heatmap has no such step.
 */
export function heatmapCellLink(
  heatmap: Pick<WireLatencyHeatmap, "times" | "step_seconds" | "latency_buckets_ms">,
  timeIndex: number,
  bucket: number,
  service: string,
): string | undefined {
  const time = heatmap.times[timeIndex];
  if (time === undefined || bucket < 0 || bucket >= heatmap.latency_buckets_ms.length) {
    return undefined;
  }
  return apiUrl(TRACES, {
    service,
    ...stepWindow(Date.parse(time), heatmap.step_seconds),
    ...durationBand(heatmap.latency_buckets_ms, bucket),
  });
}

/** The traces of the traffic step starting at `startMs` of `service` ("" for all); failed only with `errors`. */
export function trafficStepLink(
  startMs: number,
  stepSeconds: number,
  { service, errors }: { service: string; errors: boolean },
): string {
  return apiUrl(TRACES, {
    service,
    status: errors ? "error" : undefined,
    ...stepWindow(startMs, stepSeconds),
  });
}

/**
 * The step drawn at time `atMs` on a time axis whose steps start at `starts` (ascending, `stepMs`
 * apart, each drawn centred on its start, as the traffic chart does): its index, or undefined more
 * than half a step away from every one.
 */
export function stepAt(
  starts: readonly number[],
  stepMs: number,
  atMs: number,
): number | undefined {
  const first = starts[0];
  if (first === undefined || !Number.isFinite(atMs)) return undefined;
  const index = Math.min(starts.length - 1, Math.max(0, Math.round((atMs - first) / stepMs)));
  const start = starts[index];
  return start !== undefined && Math.abs(atMs - start) <= stepMs / 2 ? index : undefined;
}

/** A step as the tooltips show it: `10:01–10:02` (the page's zone). */
export function stepWords(startMs: number, stepSeconds: number): string {
  const { start, end } = stepWindow(startMs, stepSeconds);
  return `${formatClock(start).slice(0, 5)}–${formatClock(end).slice(0, 5)}`;
}

const hint = (text: string) =>
  `<div style="margin-top:6px;color:#868e96;font-size:11px">${escapeHtml(text)}</div>`;

/** The heatmap tooltip's last line: what a click on the cell lists. */
export function heatmapClickHint(
  heatmap: Pick<WireLatencyHeatmap, "times" | "step_seconds" | "latency_buckets_ms">,
  timeIndex: number,
  bucket: number,
): string {
  const time = heatmap.times[timeIndex];
  if (time === undefined) return "";
  return hint(
    `Click: the traces started ${stepWords(Date.parse(time), heatmap.step_seconds)} that took ${
      bucketRange(heatmap.latency_buckets_ms, bucket)
    }`,
  );
}

/** The traffic tooltip's last line: what a click on the step lists. */
export function trafficClickHint(startMs: number, stepSeconds: number): string {
  return hint(
    `Click: the traces started ${
      stepWords(startMs, stepSeconds)
    }; on the error bars, the failed ones`,
  );
}

/**
 * `option` with `footer(params)` after what its tooltip's formatter writes: the click hints above,
 * added where the click is handled rather than in each chart's option.
 */
export function withTooltipFooter<
  O extends { tooltip: { formatter: (params: never) => string } },
>(option: O, footer: (params: TooltipParams<O>) => string): O {
  const formatter = option.tooltip.formatter as (params: TooltipParams<O>) => string;
  return {
    ...option,
    tooltip: {
      ...option.tooltip,
      formatter: (params: TooltipParams<O>) => formatter(params) + footer(params),
    },
  };
}

/** What an option's tooltip formatter is given. */
type TooltipParams<O extends { tooltip: { formatter: (params: never) => string } }> = Parameters<
  O["tooltip"]["formatter"]
>[0];
