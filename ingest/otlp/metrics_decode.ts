/**
 * `decodeMetricsRequest`: an OTLP `ExportMetricsServiceRequest` (protobuf or OTLP/JSON) into the
 * rows the store will write for metrics: resources (the same rows and ids as traces and logs),
 * instruments, and data points with their series and point keys. `IngestService.export("metrics",
 * …)` calls it, as `decodeRequest` for traces and logs.
 *
 * Two steps, so that both wire formats give identical rows: a reader per format
 * (metrics_protobuf.ts, metrics_json.ts) turns the body into the request as sent, with what
 * cannot be stored as sent (invalid UTF-8, bad ids) noted; metrics_rows.ts then validates each
 * point and makes the rows and keys. What is checked, which NaNs are kept and what identifies a
 * point are written down there.
 *
 * @module
 */
import { readMetricsJson } from "./metrics_json.ts";
import { readMetricsProtobuf } from "./metrics_protobuf.ts";
import { metricsRows } from "./metrics_rows.ts";
import type { MetricsDecoded } from "./metrics_types.ts";
import type { DecodeLimits, WireFormat } from "./types.ts";

function checkLimits(limits: DecodeLimits): void {
  const problems: string[] = [];
  for (const name of ["maxAttributes", "maxValueDepth"] as const) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      problems.push(`'${name}' must be a non-negative integer: current value is ${value}`);
    }
  }
  if (problems.length > 0) {
    throw new RangeError(`Cannot decode with these limits as ${problems.join("; ")}`);
  }
}

/**
 * Decodes an OTLP metrics export request. Points that cannot be stored are counted in `rejected`
 * with a reason naming the point and the field (the response's `rejected_data_points`); their
 * neighbours are kept. Of the limits, `maxAttributes` (per attribute list; a point's extra
 * attributes are dropped but still identify its series) and `maxValueDepth` apply.
 *
 * Throws OtlpDecodeError when the body is not a decodable request (message says what is wrong
 * and where), and RangeError when `limits` are not non-negative integers.
 *
 * @param _nowNs Arrival time in Unix nanoseconds, for symmetry with `decodeRequest`: unused, as a
 * metric point without a time is refused rather than given one (its key would then change on a
 * retry).
 */
export function decodeMetricsRequest(
  format: WireFormat,
  body: Uint8Array,
  limits: DecodeLimits,
  _nowNs: bigint,
): MetricsDecoded {
  checkLimits(limits);
  const request = format === "json"
    ? readMetricsJson(body, limits)
    : readMetricsProtobuf(body, limits);
  return metricsRows(request, limits);
}
