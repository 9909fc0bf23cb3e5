/**
 * The trace page's reads on every selected database, over a trace ingested through OTLP/HTTP:
 * `GET /api/traces/{trace_id}/structure` is the compact form of the full trace
 * (`GET /api/traces/{trace_id}`), `GET /api/traces/{trace_id}/spans/{span_id}` is the full trace's
 * span, and `GET /api/traces/{trace_id}/search` answers exactly what a scan of the full trace's
 * names, services and attribute and event values answers, for texts with `%`, `_`, quotes,
 * backslashes, non-ASCII letters and a very long value; the 400s and 404s; and the trace page
 * carries a trace's structure up to TRACE_PAGE_INLINE_SPANS spans, while a larger trace's page
 * shows the server's rendering of it and preloads the structure for the browser, from the page's
 * own read (`snapshot`), once.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { hex, random } from "./builders.ts";
import { argusDatabaseEnv, freshDatabase, selectedDrivers } from "./databases.ts";
import { type JsonSpan, postJson, stringAttribute, traceRequest } from "./otlp_payloads.ts";
import { compactTrace } from "../utils/waterfall.ts";
import type { Json, WireSpan, WireTraceSearch } from "../utils/wire.ts";

const LONG = "x".repeat(3_000) + "needle-at-the-end";
/** Attribute values with LIKE's and JSON's special characters, spread over the spans. */
const VALUES = [
  "100% done",
  "50%",
  "snake_case_value",
  "snakeXcaseXvalue",
  'say "hello"',
  "back\\slash",
  "Grüße aus Köln",
  "ord-000298",
  "ORD-000299",
  LONG,
];

type RichSpan = JsonSpan & {
  events?: Array<{ timeUnixNano: string; name: string; attributes?: unknown[] }>;
};

function trace(traceId: string, t0: bigint): RichSpan[] {
  const rand = random(15);
  const root = hex(rand, 16);
  return Array.from({ length: 40 }, (_, i) => {
    const start = t0 + BigInt(i) * 1_000_000n;
    const value = VALUES[i % VALUES.length]!;
    return {
      traceId,
      spanId: i === 0 ? root : hex(rand, 16),
      // The last span's parent was never received: an orphan.
      parentSpanId: i === 0 ? undefined : i === 39 ? "00000000000000ff" : root,
      name: i % 7 === 3 ? "SELECT orders_100%" : `step ${i}`,
      kind: 1 + (i % 5),
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + BigInt(1 + i) * 100_000n).toString(),
      status: { code: i % 9 === 4 ? 2 : 0 },
      attributes: i % 3 === 0
        ? [stringAttribute("note", value), {
          key: "http.response.status_code",
          value: { intValue: "500" },
        }]
        : [stringAttribute("order.id", value)],
      events: i % 4 === 1
        ? [{
          timeUnixNano: start.toString(),
          name: i % 8 === 1 ? "cache miss" : "retry",
          attributes: [stringAttribute("event.detail", `ev ${value}`)],
        }]
        : undefined,
    };
  });
}

/** What the search must answer: a plain scan of the full spans' values (see routes/trace_search.ts). */
function scan(spans: WireSpan[], q: string): string[] {
  const needle = q.toLowerCase();
  const holds = (value: Json | undefined): boolean =>
    value === null || value === undefined
      ? false
      : Array.isArray(value)
      ? value.some(holds)
      : typeof value === "object"
      ? Object.values(value).some(holds)
      : String(value).toLowerCase().includes(needle);
  return spans.filter((span) =>
    span.name.toLowerCase().includes(needle) ||
    span.service_name.toLowerCase().includes(needle) ||
    Object.values(span.attributes).some(holds) ||
    span.events.some((e) => e.name.toLowerCase().includes(needle) || holds(e.attributes))
  ).map((span) => span.span_id);
}

const SEARCHES = [
  "%",
  "_",
  "100%",
  "snake_case",
  '"hello"',
  "\\",
  "grüße",
  "KÖLN",
  "ord-00029",
  "needle-at-the-end",
  "500",
  "cache",
  "order.id",
  "trace-api",
  "STEP 1",
  "nothing like this",
];

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] a trace's structure, one span and in-trace search match the full trace`, async (t) => {
    const database = await freshDatabase(driver);
    const cwd = await Deno.makeTempDir({ prefix: "argus-trace-structure-" });
    const env = argusDatabaseEnv(driver, database);
    // The 40-span trace is "huge" for its page; a 3-span one is not.
    const argus = await startArgus(
      { FLUSH_INTERVAL: "10ms", TRACE_PAGE_INLINE_SPANS: "39", ...env },
      cwd,
    );
    const get = async (path: string) => {
      const response = await fetch(`${argus.baseUrl}${path}`);
      return { status: response.status, body: await response.json() };
    };
    try {
      const traceId = hex(random(99), 32);
      const spans = trace(traceId, BigInt(Date.now() - 60_000) * 1_000_000n);
      // Out of order, in two requests.
      for (const part of [spans.slice(20), spans.slice(0, 20)]) {
        const sent = await postJson(argus.otlpHttpUrl, "traces", traceRequest(part, "trace-api"));
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
      }
      let full: WireSpan[] = [];
      for (let i = 0; i < 200 && full.length < spans.length; i++) {
        const answer = await get(`/api/traces/${traceId}`);
        full = answer.status === 200 ? answer.body.spans : [];
        if (full.length < spans.length) await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(full.length, spans.length, "every span is stored");

      await t.step("the structure is the full trace's compact form", async () => {
        const { status, body } = await get(`/api/traces/${traceId}/structure`);
        assert.equal(status, 200);
        assert.deepEqual(body, compactTrace(traceId, full));
        assert.equal(body.span_id.length, spans.length);
        // Parents as indexes: the root's children name it, the orphan names no span (-2).
        const rootAt = body.span_id.indexOf(spans[0]!.spanId);
        const orphanAt = body.span_id.indexOf(spans[39]!.spanId);
        assert.equal(body.parent[rootAt], -1);
        assert.equal(body.parent[orphanAt], -2);
        assert.equal(body.parent.filter((p: number) => p === rootAt).length, spans.length - 2);
        assert.deepEqual(body.duplicate, []);
        assert.equal(JSON.stringify(body).includes("needle"), false, "no attribute values");
      });

      await t.step("a span's details are the full trace's span", async () => {
        for (const span of [full[0]!, full[13]!, full.at(-1)!]) {
          const { status, body } = await get(`/api/traces/${traceId}/spans/${span.span_id}`);
          assert.equal(status, 200);
          assert.deepEqual(body, span);
        }
        const upper = full[5]!.span_id.toUpperCase();
        assert.equal(
          (await get(`/api/traces/${traceId.toUpperCase()}/spans/${upper}`)).status,
          200,
        );
      });

      await t.step("search answers what a scan of the values answers", async () => {
        for (const q of SEARCHES) {
          const { status, body } = await get(
            `/api/traces/${traceId}/search?q=${encodeURIComponent(q)}`,
          );
          assert.equal(status, 200, `${q}: ${JSON.stringify(body)}`);
          const answer = body as WireTraceSearch;
          const expected = scan(full, q);
          assert.deepEqual(answer.span_ids, expected, `search for ${JSON.stringify(q)}`);
          assert.equal(answer.q, q);
          assert.equal(answer.truncated, false);
        }
        // Matches that only a key or the JSON's syntax would give are not matches.
        assert.deepEqual(scan(full, "order.id"), []);
        assert.ok(scan(full, "%").length > 0 && scan(full, "%").length < spans.length);
        const limited = (await get(`/api/traces/${traceId}/search?q=step&limit=3`)).body;
        assert.deepEqual(limited.span_ids, scan(full, "step").slice(0, 3));
        assert.equal(limited.truncated, true);
      });

      await t.step("the page carries the structure up to TRACE_PAGE_INLINE_SPANS", async () => {
        const smallId = hex(random(100), 32);
        const small = trace(smallId, BigInt(Date.now() - 30_000) * 1_000_000n).slice(0, 3);
        const sent = await postJson(argus.otlpHttpUrl, "traces", traceRequest(small, "trace-api"));
        assert.equal(sent.status, 200);
        let page = "";
        for (let i = 0; i < 200 && !page.includes('data-span-count="3"'); i++) {
          page = await (await fetch(`${argus.baseUrl}/traces/${smallId}`)).text();
          if (!page.includes('data-span-count="3"')) await new Promise((r) => setTimeout(r, 25));
        }
        // Rendered on the server, with the structure in the island's props.
        assert.match(page, new RegExp(`data-trace-header="${smallId}"`));
        assert.match(page, /role="treeitem"/);
        assert.match(page, new RegExp(`"span_id":\\["${small[0]!.spanId}"`));
        assert.doesNotMatch(page, /data-trace-preview/);
        assert.doesNotMatch(page, /rel="preload"/);

        const huge = await fetch(`${argus.baseUrl}/traces/${traceId}`);
        assert.equal(huge.status, 200);
        const shell = await huge.text();
        assert.match(shell, new RegExp(`data-trace-header="${traceId}"`));
        assert.match(shell, /data-trace-preview="40"/);
        assert.match(shell, /role="treeitem"/);
        assert.match(shell, /"trace":null/);
        assert.doesNotMatch(shell, /"span_id":\[/);
        // The preload names the page's own read, which it takes once; then the key reads afresh.
        const preload = new RegExp(
          `<link rel="preload" href="/api/traces/${traceId}/structure\\?snapshot=([0-9a-f]{32})" as="fetch"`,
        ).exec(shell);
        assert.ok(preload, "the page preloads its structure");
        assert.match(shell, new RegExp(`"snapshot":"${preload[1]}"`));
        const plain = (await get(`/api/traces/${traceId}/structure`)).body;
        for (let i = 0; i < 2; i++) {
          const kept = await get(`/api/traces/${traceId}/structure?snapshot=${preload[1]}`);
          assert.equal(kept.status, 200);
          assert.deepEqual(kept.body, plain);
        }
        // Another trace's page read is not this trace's.
        const other = /structure\?snapshot=([0-9a-f]{32})/.exec(
          await (await fetch(`${argus.baseUrl}/traces/${traceId}`)).text(),
        )![1]!;
        assert.equal((await get(`/api/traces/${smallId}/structure?snapshot=${other}`)).status, 200);
        assert.deepEqual(
          (await get(`/api/traces/${traceId}/structure?snapshot=${other}`)).body,
          plain,
        );

        const unknown = await fetch(`${argus.baseUrl}/traces/${"e".repeat(32)}`);
        assert.equal(unknown.status, 404);
        assert.match(await unknown.text(), /data-trace-not-found/);
      });

      await t.step(
        "bad ids and queries are 400s naming the accepted form, unknown ones 404s",
        async () => {
          const unknown = "f".repeat(32);
          const span = full[1]!.span_id;
          const cases: Array<[string, number, RegExp]> = [
            [`/api/traces/xyz/structure`, 400, /'trace_id' as it must be 32 hex characters/],
            [
              `/api/traces/${traceId}/structure?snapshot=abc`,
              400,
              /'snapshot' as it must be 32 hex characters/,
            ],
            [`/api/traces/${traceId}/spans/abc`, 400, /'span_id' as it must be 16 hex characters/],
            [`/api/traces/nope/spans/${span}`, 400, /'trace_id'/],
            [`/api/traces/${traceId}/search`, 400, /'q' as it must be a text of 1 to 256/],
            [`/api/traces/${traceId}/search?q=%20`, 400, /'q'/],
            [
              `/api/traces/${traceId}/search?q=a&limit=0`,
              400,
              /'limit' as it must be an integer from 1 to 10000/,
            ],
            [`/api/traces/${traceId}/search?q=${"a".repeat(257)}`, 400, /'q'/],
            [`/api/traces/${unknown}/structure`, 404, /No trace/],
            [`/api/traces/${unknown}/spans/${span}`, 404, /No span/],
            [`/api/traces/${traceId}/spans/${"0".repeat(16)}`, 404, /No span/],
            [`/api/traces/${unknown}/search?q=a`, 404, /No trace/],
          ];
          for (const [path, status, message] of cases) {
            const answer = await get(path);
            assert.equal(answer.status, status, path);
            assert.match(answer.body.error, message, path);
          }
        },
      );
    } finally {
      await argus.stop();
      await database.drop();
    }
  });
}
