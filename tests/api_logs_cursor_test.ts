/**
 * `GET /api/logs` paged by cursor (`before`, `after`) on every selected database, over records
 * ingested through OTLP/HTTP: exact pages (none skipped or repeated) where records share a
 * nanosecond, in both orders and both directions, while new records arrive; and the 400s.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { argusDatabaseEnv, freshDatabase, selectedDrivers } from "./databases.ts";
import { type JsonLog, logsRequest, postJson } from "./otlp_payloads.ts";
import { logCursor } from "../utils/log_cursor.ts";
import type { WireLog, WireLogPage } from "../utils/wire.ts";

const RECORDS = 203;
/** Records per nanosecond: pages of 10 cut through groups of equal times. */
const SAME_TIME = 7;
const LIMIT = 10;

/** `RECORDS` records, seven to a nanosecond, from a minute ago. */
function records(t0: bigint): JsonLog[] {
  return Array.from({ length: RECORDS }, (_, i) => ({
    timeUnixNano: (t0 + BigInt(Math.floor(i / SAME_TIME)) * 1_000_000n).toString(),
    severityNumber: 9,
    severityText: "INFO",
    body: { stringValue: `record ${String(i).padStart(3, "0")}` },
  }));
}

/** Newest first by time, then id: the API's order. */
function newestFirst(a: WireLog, b: WireLog): number {
  const dt = BigInt(b.listed_time_unix_nano) - BigInt(a.listed_time_unix_nano);
  if (dt !== 0n) return dt > 0n ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] GET /api/logs pages exactly by cursor among records of one nanosecond`, async (t) => {
    const database = await freshDatabase(driver);
    const cwd = await Deno.makeTempDir({ prefix: "argus-logs-cursor-" });
    const env = argusDatabaseEnv(driver, database);
    const argus = await startArgus({ FLUSH_INTERVAL: "10ms", ...env }, cwd);
    const nowMs = Date.now();
    const window = `start=${nowMs - 120_000}&end=${nowMs + 120_000}`;
    const get = async (query: string) => {
      const response = await fetch(`${argus.baseUrl}/api/logs?${window}&${query}`);
      return { status: response.status, body: await response.json() };
    };
    const page = async (query: string): Promise<WireLogPage> => {
      const { status, body } = await get(query);
      assert.equal(status, 200, `${query}: ${JSON.stringify(body)}`);
      return body;
    };
    /** Follows `side` from the first page of `order` to the end: every page's items, in turn. */
    const follow = async (order: "asc" | "desc", side: "before" | "after") => {
      const pages: WireLogPage[] = [await page(`order=${order}&limit=${LIMIT}`)];
      while (pages.at(-1)!.more) {
        const last = pages.at(-1)!.items.at(-1)!;
        pages.push(await page(`order=${order}&limit=${LIMIT}&${side}=${logCursor(last)}`));
        assert.ok(pages.length <= RECORDS, "paging ends");
      }
      return pages;
    };
    try {
      const t0 = BigInt(nowMs - 60_000) * 1_000_000n;
      const sent = await postJson(argus.otlpHttpUrl, "logs", logsRequest(records(t0), "cursor"));
      assert.equal(sent.status, 200);
      const all = (await page("limit=1000")).items;
      assert.equal(all.length, RECORDS);
      assert.deepEqual(all, [...all].sort(newestFirst), "ties are ordered by id, newest first");
      const ids = all.map((item) => item.id);

      await t.step(
        "newest first, each page just older than the last record of the one before",
        async () => {
          const pages = await follow("desc", "before");
          assert.equal(pages.length, Math.ceil(RECORDS / LIMIT));
          assert.deepEqual(pages.flatMap((p) => p.items.map((item) => item.id)), ids);
          assert.ok(pages.every((p) => p.total === RECORDS));
          assert.deepEqual(pages.map((p) => p.more), pages.map((_, i) => i < pages.length - 1));
        },
      );

      await t.step(
        "oldest first, each page just newer than the last record of the one before",
        async () => {
          const pages = await follow("asc", "after");
          assert.deepEqual(
            pages.flatMap((p) => p.items.map((item) => item.id)),
            [...ids].reverse(),
          );
          assert.equal(pages.at(-1)!.items.length, RECORDS % LIMIT);
        },
      );

      await t.step(
        "a cursor's page is the records nearest it, listed in either order",
        async () => {
          // Record 100 of the newest-first list, inside a group of seven of one nanosecond.
          const anchor = all[100]!;
          assert.equal(all[99]!.listed_time_unix_nano, anchor.listed_time_unix_nano);
          const newer = await page(`limit=${LIMIT}&after=${logCursor(anchor)}`);
          assert.deepEqual(newer.items.map((item) => item.id), ids.slice(90, 100));
          assert.equal(newer.more, true);
          const newerAsc = await page(`limit=${LIMIT}&order=asc&after=${logCursor(anchor)}`);
          assert.deepEqual(newerAsc.items.map((item) => item.id), ids.slice(90, 100).reverse());
          const older = await page(`limit=${LIMIT}&order=asc&before=${logCursor(anchor)}`);
          assert.deepEqual(older.items.map((item) => item.id), ids.slice(101, 111).reverse());
          // Near the ends: what there is, and no more.
          const newest = await page(`limit=${LIMIT}&after=${logCursor(all[3]!)}`);
          assert.deepEqual(newest.items.map((item) => item.id), ids.slice(0, 3));
          assert.equal(newest.more, false);
          const none = await page(`limit=${LIMIT}&before=${logCursor(all.at(-1)!)}`);
          assert.deepEqual([none.items, none.more, none.total], [[], false, RECORDS]);
        },
      );

      await t.step("records arriving meanwhile shift nothing", async () => {
        const first = await page(`limit=${LIMIT}`);
        const later = records(t0 + 30_000_000_000n).slice(0, 25)
          .map((log) => ({ ...log, body: { stringValue: `late ${JSON.stringify(log.body)}` } }));
        const sentLater = await postJson(argus.otlpHttpUrl, "logs", logsRequest(later, "cursor"));
        assert.equal(sentLater.status, 200);
        const second = await page(`limit=${LIMIT}&before=${logCursor(first.items.at(-1)!)}`);
        assert.deepEqual(second.items.map((item) => item.id), ids.slice(LIMIT, 2 * LIMIT));
        assert.equal(second.total, RECORDS + later.length);
      });

      await t.step("a bad cursor, two cursors, or a cursor with an offset are 400s", async () => {
        const cursor = logCursor(all[0]!);
        for (
          const [query, sentence] of [
            ["before=abc", /^Cannot use 'before' as it must be a record's cursor.*"abc"$/],
            [`after=${all[0]!.id}`, /^Cannot use 'after' as it must be a record's cursor/],
            [`after=99999999999999999999_${all[0]!.id}`, /'after'/],
            [`before=${cursor}&after=${cursor}`, /^Cannot use 'before' together with 'after'/],
            [`before=${cursor}&offset=10`, /^Cannot use 'offset' together with 'before'/],
          ] as const
        ) {
          const { status, body } = await get(query);
          assert.equal(status, 400, query);
          assert.match(body.error, sentence, query);
        }
        assert.equal((await get(`before=${cursor}&offset=0`)).status, 200);
      });
    } finally {
      await argus.stop();
      await database.drop();
    }
  });
}
