import assert from "node:assert/strict";
import { TraceSnapshots } from "./trace_snapshots.ts";
import { compactTrace } from "../utils/waterfall.ts";
import type { WireTraceStructure } from "../utils/wire.ts";

function structure(traceId: string): WireTraceStructure {
  return compactTrace(traceId, [{
    span_id: "00000000000000aa",
    parent_span_id: "",
    service_name: "svc",
    name: "op",
    kind: "server",
    status_code: "unset",
    start_time_unix_nano: "1795687200000000000",
    end_time_unix_nano: "1795687200000001000",
  }]);
}

const A = "a".repeat(32);
const B = "b".repeat(32);

Deno.test("TraceSnapshots gives a kept read once, to its own trace only", () => {
  const snapshots = new TraceSnapshots();
  const trace = structure(A);
  const key = snapshots.keep(trace);
  assert.match(key, /^[0-9a-f]{32}$/);
  assert.equal(snapshots.take(key, B), undefined, "not another trace's");
  assert.equal(snapshots.take(key, A), trace);
  assert.equal(snapshots.take(key, A), undefined, "taken once");
  assert.equal(snapshots.take("c".repeat(32), A), undefined);
  assert.notEqual(snapshots.keep(trace), snapshots.keep(trace), "a new key each time");
});

Deno.test("TraceSnapshots drops reads past their lifetime and the oldest past its count", () => {
  let now = 0;
  const snapshots = new TraceSnapshots(1_000, 2, () => now);
  const first = snapshots.keep(structure(A));
  now = 999;
  assert.equal(snapshots.size, 1);
  now = 1_000;
  assert.equal(snapshots.take(first, A), undefined, "expired");
  assert.equal(snapshots.size, 0);

  const keys = [A, B, A].map((id) => snapshots.keep(structure(id)));
  assert.equal(snapshots.size, 2);
  assert.equal(snapshots.take(keys[0]!, A), undefined, "the oldest was dropped");
  assert.equal(snapshots.take(keys[1]!, B)?.trace_id, B);
  assert.equal(snapshots.take(keys[2]!, A)?.trace_id, A);
  assert.equal(new TraceSnapshots(1_000, 0).size, 0);
});
