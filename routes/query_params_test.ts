import assert from "node:assert/strict";
import { BadRequestError } from "./http_error.ts";
import {
  parseHexId,
  parsePage,
  parseService,
  parseSort,
  parseTraceLookup,
  parseWindow,
  refuseNul,
} from "./query_params.ts";

const NOW = Date.parse("2026-11-26T10:00:00Z");
const DAY = 86_400_000;
const q = (text: string) => new URLSearchParams(text);
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function refused(fn: () => unknown, message: string) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("parseWindow() defaults to the last 5 minutes and takes each range, named or 'last N'", () => {
  assert.deepEqual(parseWindow(q(""), NOW, DAY), { startNs: ns(NOW - 300_000), endNs: ns(NOW) });
  const lengths = {
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "6h": 21_600_000,
    "24h": DAY,
    "90m": 5_400_000,
    "12h": 43_200_000,
    "1d": DAY,
    "7d": 7 * DAY,
  };
  for (const [range, ms] of Object.entries(lengths)) {
    assert.deepEqual(parseWindow(q(`range=${range}`), NOW, 7 * DAY), {
      startNs: ns(NOW - ms),
      endNs: ns(NOW),
    });
  }
});

Deno.test("parseWindow() takes start and end as RFC 3339 or Unix milliseconds", () => {
  const start = Date.parse("2026-11-26T09:00:00Z");
  assert.deepEqual(
    parseWindow(q("start=2026-11-26T09:00:00Z&end=2026-11-26T09:30:00.5Z"), NOW, DAY),
    {
      startNs: ns(start),
      endNs: ns(start + 1_800_500),
    },
  );
  assert.deepEqual(parseWindow(q(`start=${start}`), NOW, DAY), {
    startNs: ns(start),
    endNs: ns(NOW),
  });
  assert.deepEqual(parseWindow(q("start=2026-11-26T10:30:00%2B01:00"), NOW, DAY), {
    startNs: ns(start + 1_800_000),
    endNs: ns(NOW),
  });
});

Deno.test("parseWindow() refuses bad windows with a message naming the parameter", () => {
  refused(
    () => parseWindow(q("range=1y"), NOW, DAY),
    `Cannot use 'range' as it must be one of 5m, 15m, 1h, 6h, 24h, 2d, 7d, or a whole number of minutes, hours or days such as 90m, 12h or 3d: current value is "1y"`,
  );
  // A range longer than QUERY_MAX_WINDOW, preset or not.
  refused(
    () => parseWindow(q("range=7d"), NOW, DAY),
    `Cannot use 'range' as it must be at most 1d (QUERY_MAX_WINDOW): current value is "7d"`,
  );
  refused(
    () => parseWindow(q("range=25h"), NOW, DAY),
    `Cannot use 'range' as it must be at most 1d (QUERY_MAX_WINDOW): current value is "25h"`,
  );
  refused(
    () => parseWindow(q("start=yesterday"), NOW, DAY),
    `Cannot use 'start' as it must be an RFC 3339 time such as 2026-11-26T10:00:00Z or Unix milliseconds: current value is "yesterday"`,
  );
  refused(
    () => parseWindow(q("start=2026-11-26T09:00:00Z&end=2026-11-26T08:00:00Z"), NOW, DAY),
    `Cannot use 'end' as it must be after 'start' (2026-11-26T09:00:00.000Z): current value is "2026-11-26T08:00:00Z"`,
  );
  refused(
    () => parseWindow(q("range=1h&start=1"), NOW, DAY),
    "Cannot use 'range' together with 'start' or 'end': give either a range or a start and end",
  );
  refused(
    () => parseWindow(q(`start=${NOW - 2 * DAY}`), NOW, DAY),
    "Cannot use a window of 2d as it must be at most 1d (QUERY_MAX_WINDOW): narrow 'start' and 'end'",
  );
  assert.throws(() => parseWindow(q("end=1"), NOW, DAY), BadRequestError);
  assert.throws(() => parseWindow(q("start=2026-11-26 09:00"), NOW, DAY), BadRequestError);
  assert.throws(() => parseWindow(q("start=-5"), NOW, DAY), BadRequestError);
});

Deno.test("parsePage() defaults to 50 from 0 and refuses negative, huge and non-numeric values", () => {
  assert.deepEqual(parsePage(q("")), { limit: 50, offset: 0 });
  assert.deepEqual(parsePage(q("limit=1000&offset=20")), { limit: 1000, offset: 20 });
  refused(
    () => parsePage(q("limit=1001")),
    `Cannot use 'limit' as it must be an integer from 1 to 1000: current value is "1001"`,
  );
  refused(
    () => parsePage(q("limit=0")),
    `Cannot use 'limit' as it must be an integer from 1 to 1000: current value is "0"`,
  );
  refused(
    () => parsePage(q("limit=-1")),
    `Cannot use 'limit' as it must be an integer from 1 to 1000: current value is "-1"`,
  );
  refused(
    () => parsePage(q("limit=1e3")),
    `Cannot use 'limit' as it must be an integer from 1 to 1000: current value is "1e3"`,
  );
  refused(
    () => parsePage(q("offset=-3")),
    `Cannot use 'offset' as it must be an integer from 0 to 100000: current value is "-3"`,
  );
  assert.throws(() => parsePage(q("offset=99999999999999999999")), BadRequestError);
});

Deno.test("parseSort() takes only allow-listed fields and asc or desc", () => {
  const fields = ["start_time", "duration"] as const;
  assert.deepEqual(parseSort(q(""), fields, "start_time"), { field: "start_time", order: "desc" });
  assert.deepEqual(parseSort(q("sort=duration&order=asc"), fields, "start_time"), {
    field: "duration",
    order: "asc",
  });
  refused(
    () => parseSort(q("sort=name;drop table spans"), fields, "start_time"),
    `Cannot use 'sort' as it must be one of start_time, duration: current value is "name;drop table spans"`,
  );
  refused(
    () => parseSort(q("order=DESC, 1"), fields, "start_time"),
    `Cannot use 'order' as it must be asc or desc: current value is "DESC, 1"`,
  );
});

Deno.test("parseService() takes an exact name, quotes and wildcards included, literally", () => {
  assert.equal(parseService(q("")), undefined);
  assert.equal(parseService(q("service=it's_100%25")), "it's_100%");
  refused(
    () => parseService(q("service=")),
    `Cannot use 'service' as it must be a service name, not empty: current value is ""`,
  );
});

Deno.test("parseService() answers a name as its rows hold it: escaped, cut to its column", () => {
  // U+E000 is the escape of stored text (utils/text_escape.ts), doubled when sent.
  assert.equal(parseService(q("service=a%EE%80%80b")), "a\uE000\uE000b");
  assert.equal(parseService(q("service=a%00b")), "a\uE0000b");
  // A whole name longer than the column finds the rows, which hold its first 256 characters.
  assert.equal(parseService(q(`service=${"s".repeat(300)}`)), "s".repeat(256));
});

Deno.test("parseHexId() lower-cases ids and refuses any other length or character", () => {
  assert.equal(parseHexId("span_id", "00F067AA0BA902B7", 16), "00f067aa0ba902b7");
  refused(
    () => parseHexId("trace_id", "4bf92f35", 32),
    `Cannot use 'trace_id' as it must be 32 hex characters: current value is "4bf92f35"`,
  );
  refused(
    () => parseHexId("span_id", "00f067aa0ba902bz", 16),
    `Cannot use 'span_id' as it must be 16 hex characters: current value is "00f067aa0ba902bz"`,
  );
});

Deno.test("parseTraceLookup() takes a pasted trace id as users have it, and pads 64-bit ids", () => {
  assert.equal(
    parseTraceLookup("trace_id", "  4BF92F3577B34DA6A3CE929D0E0E4736\n"),
    "4bf92f3577b34da6a3ce929d0e0e4736",
  );
  assert.equal(
    parseTraceLookup("trace_id", "a3ce929d0e0e4736"),
    "0000000000000000a3ce929d0e0e4736",
  );
  refused(
    () => parseTraceLookup("trace_id", "4bf92f35"),
    `Cannot use 'trace_id' as it must be a trace id of 32 (or 16) hex characters: current value is "4bf92f35"`,
  );
  refused(
    () => parseTraceLookup("trace_id", "order 1234"),
    `Cannot use 'trace_id' as it must be a trace id of 32 (or 16) hex characters: current value is "order 1234"`,
  );
});

Deno.test("refuseNul() refuses a NUL in any parameter or the path, naming it", () => {
  const refused = (url: string) => {
    try {
      refuseNul(new URL(url));
    } catch (error) {
      assert.ok(error instanceof BadRequestError);
      return error.message;
    }
    return undefined;
  };
  assert.equal(refused("http://argus/api/logs?service=a&search=b%20c"), undefined);
  assert.equal(
    refused("http://argus/api/logs?search=a%00b"),
    `Cannot use 'search' as it must be free of NUL characters (%00): current value is "a\\u0000b"`,
  );
  assert.equal(
    refused("http://argus/api/logs?service=a%00b"),
    undefined,
    "escaped by parseService",
  );
  assert.match(refused("http://argus/ws?severity=%00")!, /^Cannot use 'severity' /);
  assert.match(refused("http://argus/api/stats?x%00y=1")!, /^Cannot use 'x\\u0000y' /);
  assert.match(refused("http://argus/api/traces/ab%00cd")!, /^Cannot use the path /);
  // Quoted at most 80 UTF-16 units, never ending on half of a pair (here 😀 at 80 and 81).
  const message = refused(`http://argus/api/logs?search=${"a".repeat(79)}%F0%9F%98%80%00`)!;
  assert.ok(message.endsWith(`"${"a".repeat(79)}"`), message);
});
