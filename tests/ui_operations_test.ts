/**
 * A service's operations page (issue 14), in headless Chromium: known spans of `checkout` sent
 * through OTLP/HTTP, then the page reached from the Service Map's node panel shows each operation's
 * requests, errors, error rate and percentiles, sorts by a column, and links an operation to its
 * traces, keeping the time range (tests/browser/scenarios/operations.mjs). The figures are checked
 * against the known spans here, through the API the page reads.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { hex, random } from "./builders.ts";
import { type JsonSpan, postJson, traceRequest } from "./otlp_payloads.ts";
import { LATENCY_BUCKET_BOUNDS_MS } from "../store/mod.ts";
import type { WireOperations } from "../utils/wire.ts";
import { formatDuration } from "../utils/format.ts";

const MS = 1_000_000n;

/** Root spans of `name` (SERVER) or client spans under them, `durationsMs` long; the first `errors` fail. */
function spans(
  name: string,
  kind: number,
  durationsMs: number[],
  errors: number,
  rand: () => number,
): JsonSpan[] {
  const now = BigInt(Date.now()) * MS;
  return durationsMs.map((ms, i) => {
    const start = now - 120_000n * MS + BigInt(i) * 1_000n * MS;
    return {
      traceId: hex(rand, 32),
      spanId: hex(rand, 16),
      ...(kind === 2 ? {} : { parentSpanId: hex(rand, 16) }),
      name,
      kind,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + BigInt(ms) * MS).toString(),
      status: { code: i < errors ? 2 : 0 },
    };
  });
}

const POST_MS = [...Array(10).fill(20), 400, 400];
const CHARGE_MS = [50, 50, 50, 50];

function inBucketOf(truthMs: number, gotMs: number | null): boolean {
  const i = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => truthMs <= bound);
  const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1]!;
  return gotMs !== null && gotMs > lower && gotMs <= LATENCY_BUCKET_BOUNDS_MS[i]!;
}

Deno.test("a service's operations page shows, sorts and links its operations' figures", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-operations-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const rand = random(41);
    const sent = await postJson(
      argus.otlpHttpUrl,
      "traces",
      traceRequest([
        ...spans("POST /orders", 2, POST_MS, 2, rand),
        ...spans("charge card", 3, CHARGE_MS, 1, rand),
      ], "checkout"),
    );
    assert.equal(sent.status, 200);
    assert.equal(
      (await postJson(
        argus.otlpHttpUrl,
        "traces",
        traceRequest(spans("GET /stock", 2, [5, 5], 0, rand), "inventory"),
      )).status,
      200,
    );
    // The API the page reads: exact counts, percentiles inside the true value's bucket.
    let api: WireOperations | undefined;
    for (let i = 0; i < 50 && (api?.total ?? 0) < 2; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      api = await (await fetch(
        `${argus.baseUrl}/api/metrics/operations?service=checkout&range=15m`,
      )).json();
    }
    const [post, charge] = api!.operations;
    assert.deepEqual(
      [post?.operation, post?.requests, post?.errors, post?.entry],
      ["POST /orders", 12, 2, true],
    );
    assert.deepEqual(
      [charge?.operation, charge?.requests, charge?.errors, charge?.entry],
      ["charge card", 4, 1, false],
    );
    assert.ok(inBucketOf(20, post!.p50_ms), `p50 ${post!.p50_ms}`);
    assert.ok(inBucketOf(400, post!.p99_ms), `p99 ${post!.p99_ms}`);
    assert.ok(inBucketOf(50, charge!.p95_ms), `p95 ${charge!.p95_ms}`);
    const bad = await fetch(`${argus.baseUrl}/api/metrics/operations?range=15m`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /without 'service'/);

    const { answer, problems } = await runScenario<{ landed: string }>(
      "operations",
      argus.baseUrl,
      {
        expected: {
          "POST /orders": {
            requests: "12",
            errors: "2",
            error_rate: "16.67%",
            p50_ms: formatDuration(post!.p50_ms!),
            p99_ms: formatDuration(post!.p99_ms!),
          },
          "charge card": {
            requests: "4",
            errors: "1",
            error_rate: "25%",
            p50_ms: formatDuration(charge!.p50_ms!),
            p99_ms: formatDuration(charge!.p99_ms!),
          },
        },
      },
    );
    assert.deepEqual(problems, []);
    assert.equal(answer.landed, "/traces?service=checkout&search=POST+%2Forders&range=15m");
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
