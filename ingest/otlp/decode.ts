/**
 * `decodeRequest`: one entry point over both signals and both wire formats.
 *
 * @module
 */
import { bindLogIdsToRequest } from "../../store/ids.ts";
import { decodeJson } from "./json_reader.ts";
import { decodeProtobuf } from "./protobuf_reader.ts";
import type { Decoded, DecodeLimits, Signal, WireFormat } from "./types.ts";

function checkLimits(limits: DecodeLimits): void {
  const problems: string[] = [];
  for (const name of ["maxAttributes", "maxEvents", "maxLinks", "maxValueDepth"] as const) {
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
 * Decodes an OTLP export request into store rows. Items that cannot be stored as sent (bad ids,
 * invalid UTF-8, values nested too deep) are counted in `rejected` with a reason; items over the
 * limits keep their first attributes, events and links and count the rest as dropped.
 *
 * Throws OtlpDecodeError (message says what is wrong, e.g. "truncated message at byte 1234",
 * "field 1 of ResourceSpans has wire type 0, expected 2") when the body is not a decodable
 * request, and RangeError when `limits` are not non-negative integers.
 *
 * Log records get ids from their content and the request's (`bindLogIdsToRequest`): a retry of
 * the request gets the same ids, an identical record in another request another one.
 *
 * @param nowNs Unix nanoseconds stored as the time of a log record that has neither a time nor an
 * observed time; its id does not depend on it (a retry, arriving later, gets the same id).
 */
export function decodeRequest(
  signal: Signal,
  format: WireFormat,
  body: Uint8Array,
  limits: DecodeLimits,
  nowNs: bigint,
): Decoded {
  checkLimits(limits);
  const decoded = format === "json"
    ? decodeJson(signal, body, limits, nowNs)
    : decodeProtobuf(signal === "traces" ? 0 : 1, body, limits, nowNs);
  // Log records have no id of their own: theirs hash their content, bound to the request, after
  // their time.
  bindLogIdsToRequest(decoded.batch.logs, nowNs);
  return decoded;
}
