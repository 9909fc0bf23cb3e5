/**
 * The API's JSON as the browser receives it, for the tests of the UI's pure logic (utils/): a log
 * record with every field of `WireLog`, its own where given.
 *
 * @module
 */
import type { WireLog } from "../utils/wire.ts";

/** A record from `checkout` at 2026-11-26 10:00 UTC, INFO, with `fields` over it. */
export function wireLog(fields: Partial<WireLog> = {}): WireLog {
  return {
    id: "0".repeat(32),
    timestamp: "2026-11-26T10:00:00.000000000Z",
    observed_timestamp: "2026-11-26T10:00:00.000000000Z",
    time_unix_nano: "1795687200000000000",
    observed_time_unix_nano: "1795687200000000000",
    // Listed at its time, when one is given and set.
    listed_time_unix_nano: fields.time_unset ? "1795687200000000000" : fields.time_unix_nano ??
      "1795687200000000000",
    time_unset: false,
    severity_text: "INFO",
    severity_number: 9,
    body: "GET /cart answered 200",
    event_name: "",
    service_name: "checkout",
    trace_id: "",
    span_id: "",
    flags: 0,
    attributes: {},
    dropped_attributes_count: 0,
    resource_attributes: {},
    resource: { schema_url: "", dropped_attributes_count: 0, entity_refs: [] },
    scope: { name: "", version: "", attributes: {}, dropped_attributes_count: 0, schema_url: "" },
    ...fields,
  };
}
