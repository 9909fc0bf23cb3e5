/**
 * PostgreSQL's time partitions (partitions.ts, migration 2026_12_15_time_partitions), on databases
 * this suite creates on the machine's server: partitions made ahead at start and by later calls,
 * also by two replicas at once; rows in the default partition moved into a partition made for
 * them; a purge dropping whole partitions and deleting only the rest; reads across a partition
 * boundary exact, and a window's read pruned to its partitions; two replicas writing at once a
 * record sent without a time (stored with its arrival, so under two times) and a span under two
 * starts store each once; a database from before the change
 * migrated with its rows (a span from a clock ahead moved out of the legacy partition), retries
 * still stored once, and its legacy partition dropped whole once past; metric points, exemplars
 * and rollup points (2026_12_19_metric_partitions) likewise: stored in their day's partition, a
 * purge dropping them whole, a database from before migrated with its points. Bounds and ranges
 * without a database.
 */
import assert from "node:assert/strict";
import { type Kysely, sql } from "kysely";
import { createStore, type Store } from "./mod.ts";
import { openDatabase } from "./dialects/mod.ts";
import { logToDb, resourceToDb, spanToDb } from "./columns.ts";
import { argusMigrator } from "./migrations/mod.ts";
import {
  missingRanges,
  parseBound,
  type PartitionedTable,
  partitionName,
  Partitions,
  partitionsOf,
} from "./partitions.ts";
import type { Database } from "./columns.ts";
import { buildLog, buildResource, buildSpan, random } from "../tests/builders.ts";
import {
  decodeMetrics,
  encodeMetrics,
  exemplar,
  gaugeMetric,
  intPoint,
  oneScope,
  storeBatch,
  stringAttrs,
} from "../tests/metric_requests.ts";
import { freshDatabase, selectedDrivers } from "../tests/databases.ts";

const DAY_NS = 86_400_000_000_000n;
const HOUR_NS = 3_600_000_000_000n;
const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const PAGE = { limit: 1000, offset: 0 };
const TABLES: PartitionedTable[] = [
  "spans",
  "logs",
  "span_attributes",
  "log_attributes",
  "metric_points",
  "metric_exemplars",
  "metric_rollup_points",
];

const todayNs = () => {
  const now = BigInt(Date.now()) * 1_000_000n;
  return now - now % DAY_NS;
};

Deno.test("partition bounds as PostgreSQL prints them are read, DEFAULT apart", () => {
  assert.equal(parseBound("DEFAULT"), "default");
  assert.deepEqual(parseBound("FOR VALUES FROM ('100') TO ('200')"), { from: 100n, to: 200n });
  assert.deepEqual(parseBound("FOR VALUES FROM (MINVALUE) TO ('1796688000000000000')"), {
    to: 1_796_688_000_000_000_000n,
  });
  assert.deepEqual(parseBound("FOR VALUES FROM ('-5') TO (MAXVALUE)"), { from: -5n });
  assert.throws(() => parseBound("FOR VALUES IN (1)"), /Cannot read the partition bound/);
});

Deno.test("the ranges to create are what no partition covers", () => {
  const wanted = { from: 10n, to: 20n };
  assert.deepEqual(missingRanges(wanted, []), [wanted]);
  assert.deepEqual(missingRanges(wanted, [{ from: 10n, to: 20n }]), []);
  assert.deepEqual(missingRanges(wanted, [{ to: 12n }]), [{ from: 12n, to: 20n }]);
  assert.deepEqual(missingRanges(wanted, [{ from: 18n }]), [{ from: 10n, to: 18n }]);
  assert.deepEqual(missingRanges(wanted, [{ from: 13n, to: 15n }]), [
    { from: 10n, to: 13n },
    { from: 15n, to: 20n },
  ]);
  assert.deepEqual(missingRanges(wanted, [{ from: 0n, to: 10n }, { from: 20n, to: 30n }]), [
    wanted,
  ]);
  assert.equal(partitionName("spans", 1_796_688_000_000_000_000n), "spans_p2026120800");
  assert.throws(() => new Partitions({} as Kysely<Database>, { intervalMs: 90 * 60_000 }), /hours/);
});

async function withPostgres(fn: (store: Store, db: Kysely<Database>) => Promise<void>) {
  const database = await freshDatabase("postgres");
  const store = await createStore(database.config, { dataDir: database.dataDir });
  const open = openDatabase(database.config, database.dataDir, () => {});
  try {
    await store.migrate();
    await fn(store, open.db);
  } finally {
    await open.db.destroy();
    await store.close();
    await database.drop();
  }
}

/** The ranges of `table`'s partitions other than the default, in order. */
async function ranges(db: Kysely<Database>, table: PartitionedTable) {
  const partitions = await partitionsOf(db, table);
  assert.ok(partitions, `${table} is partitioned`);
  return partitions.filter((p) => !p.isDefault).sort((a, b) =>
    (a.from ?? -1n) < (b.from ?? -1n) ? -1 : 1
  );
}

if (selectedDrivers().includes("postgres")) {
  Deno.test("postgres: a new database has partitions for today and 3 days ahead, and a default", async () => {
    await withPostgres(async (_store, db) => {
      const today = todayNs();
      for (const table of TABLES) {
        const unit = table.endsWith("attributes") ? 600_000_000_000n : 1n;
        const found = await ranges(db, table);
        assert.deepEqual(
          found.map((p) => [p.from, p.to]),
          [0n, 1n, 2n, 3n].map((
            k,
          ) => [(today + k * DAY_NS) / unit, (today + (k + 1n) * DAY_NS) / unit]),
          table,
        );
        assert.equal(found[0]!.name, partitionName(table, today));
        const all = (await partitionsOf(db, table))!;
        assert.deepEqual(all.filter((p) => p.isDefault).map((p) => p.name), [`${table}_default`]);
      }
      // Again, and from two replicas at once: nothing more, each range once.
      const a = new Partitions(db), b = new Partitions(db);
      const now = BigInt(Date.now()) * 1_000_000n;
      assert.deepEqual(await a.ensureAhead(now), []);
      const later = now + 5n * DAY_NS;
      const [made1, made2] = await Promise.all([a.ensureAhead(later), b.ensureAhead(later)]);
      assert.equal(made1.length + made2.length, 4 * TABLES.length, JSON.stringify([made1, made2]));
      assert.equal((await ranges(db, "metric_points")).length, 8);
      assert.equal((await ranges(db, "spans")).length, 8);
    });
  });

  Deno.test("postgres: rows stored in the default partition move into the partition made for their day", async () => {
    await withPostgres(async (store, db) => {
      const day = todayNs() + 20n * DAY_NS;
      const resource = buildResource("ahead-service");
      const rand = random(3);
      const spans = [1n, 2n].map((h) =>
        buildSpan(resource, {
          startTimeUnixNano: day + h * HOUR_NS,
          endTimeUnixNano: day + h * HOUR_NS + 5n,
        }, rand)
      );
      const logs = [
        buildLog(resource, { timeUnixNano: day + HOUR_NS, observedTimeUnixNano: day }, rand),
      ];
      assert.equal((await store.write({ resources: [resource], spans, logs })).spans.inserted, 2);
      const inDefault = async (table: string) =>
        Number(
          (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db))
            .rows[0]!.n,
        );
      assert.equal(await inDefault("spans_default"), 2);
      const made = await new Partitions(db, { ahead: 0 }).ensureAhead(day);
      assert.ok(made.includes(partitionName("spans", day)), made.join());
      assert.equal(await inDefault("spans_default"), 0);
      assert.equal(await inDefault("logs_default"), 0);
      assert.equal(await inDefault(partitionName("spans", day)), 2);
      assert.equal(await inDefault(partitionName("logs", day)), 1);
      assert.equal(await store.countSpans(ALL_TIME), 2);
      // Moved, not copied: a retry is still a duplicate.
      const again = await store.write({ resources: [resource], spans, logs });
      assert.deepEqual([again.spans.inserted, again.logs.inserted], [0, 0]);
    });
  });

  Deno.test("postgres: reads across a partition boundary are exact, a window reads only its partitions, and a purge drops whole partitions", async () => {
    await withPostgres(async (store, db) => {
      const today = todayNs();
      const first = today - 10n * DAY_NS;
      // Days −10 to −7 as partitions; older rows go to the default one.
      await new Partitions(db, { ahead: 3 }).ensureAhead(first);
      const resource = buildResource("boundary-service");
      const rand = random(9);
      const boundary = first + 2n * DAY_NS; // day −8's start
      const traceId = "ab".repeat(16);
      const at = (start: bigint, spanId: string) =>
        buildSpan(resource, {
          traceId,
          spanId,
          startTimeUnixNano: start,
          endTimeUnixNano: start + 1_000n,
        }, rand);
      const spans = [
        at(boundary - 1n, "0000000000000001"), // day −9's last nanosecond
        at(boundary, "0000000000000002"), // day −8's first
        at(first + HOUR_NS, "0000000000000003"), // day −10
        at(first - 30n * DAY_NS, "0000000000000004"), // the default partition
        at(today - 7n * DAY_NS + HOUR_NS, "0000000000000005"), // day −7, kept
      ];
      const log = (time: bigint) =>
        buildLog(resource, { timeUnixNano: time, observedTimeUnixNano: time }, rand);
      const logs = [
        log(boundary - 1n),
        log(boundary),
        log(first - 30n * DAY_NS),
        log(today - 7n * DAY_NS + HOUR_NS),
      ];
      const written = await store.write({ resources: [resource], spans, logs });
      assert.deepEqual([written.spans.inserted, written.logs.inserted], [5, 4]);

      const window = { startNs: boundary - 12n * HOUR_NS, endNs: boundary + 12n * HOUR_NS };
      assert.equal(await store.countSpans(window), 2);
      assert.equal(await store.countLogs(window), 2);
      assert.deepEqual(
        (await store.spans(window, PAGE)).map((s) => s.spanId).sort(),
        ["0000000000000001", "0000000000000002"],
      );
      assert.equal((await store.traceSpans(traceId)).length, 5);
      // The planner reads the window's two partitions, no other.
      const { rows: plan } = await sql<{ "QUERY PLAN": string }>`explain select count(*) from spans
        where start_time_unix_nano >= ${window.startNs.toString()}
          and start_time_unix_nano <= ${window.endNs.toString()}`.execute(db);
      const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
      // "… on spans_p2026112800 spans_1": the table scanned, then its alias.
      const names = [...text.matchAll(/ on (spans_\w+) spans/g)].map((m) => m[1]);
      assert.deepEqual(
        [...new Set(names)].sort(),
        [partitionName("spans", boundary - DAY_NS), partitionName("spans", boundary)].sort(),
        text,
      );

      // Purge before day −7: days −10, −9, −8 dropped whole, the default's old rows deleted.
      const cutoff = today - 7n * DAY_NS;
      const result = await store.maintenance.purge({ olderThanNs: cutoff, signal: "all" });
      assert.equal(result.deletedSpans, 4);
      assert.equal(result.deletedLogs, 3);
      for (const table of ["spans", "logs"] as const) {
        for (const k of [10n, 9n, 8n]) {
          assert.ok(result.droppedPartitions?.includes(partitionName(table, today - k * DAY_NS)));
        }
      }
      assert.deepEqual(
        (await ranges(db, "spans")).map((p) => p.name)[0],
        partitionName("spans", cutoff),
      );
      assert.equal(await store.countSpans(ALL_TIME), 1);
      assert.equal(await store.countLogs(ALL_TIME), 1);
      assert.equal((await store.traceSpans(traceId)).length, 1);
      // Aligned (the retention worker's): a cutoff inside day −6 drops nothing more than day −7.
      const aligned = await store.maintenance.purge({
        olderThanNs: today - 6n * DAY_NS + 5n * HOUR_NS,
        signal: "all",
        partitionAligned: true,
      });
      assert.equal(aligned.cutoffNs, today - 6n * DAY_NS);
      assert.equal(aligned.deletedSpans, 1);
      assert.ok(aligned.droppedPartitions?.includes(partitionName("spans", today - 7n * DAY_NS)));
      assert.ok(((await store.maintenance.sizeBytes()) ?? 0) > 0, "the partitions' sizes count");
    });
  });

  Deno.test("postgres: a record sent with no time (stored with its arrival) and a span retried under another start are stored once when two replicas take them at once", async () => {
    const database = await freshDatabase("postgres");
    const stores = [
      await createStore(database.config, { dataDir: database.dataDir }),
      await createStore(database.config, { dataDir: database.dataDir }),
    ];
    try {
      await stores[0]!.migrate();
      await stores[1]!.migrate();
      const resource = buildResource("timeless-service");
      const rand = random(11);
      const now = BigInt(Date.now()) * 1_000_000n;
      // Ids as the readers make them for a record without times; each copy has its own arrival.
      // Fresh records each round: both writers find them absent at once.
      for (let round = 0; round < 10; round++) {
        const sent = Array.from(
          { length: 500 },
          () => buildLog(resource, { timeUnixNano: 0n, observedTimeUnixNano: 0n }, rand),
        );
        const arrived = (at: bigint) => sent.map((log) => ({ ...log, timeUnixNano: at }));
        await Promise.all([
          stores[0]!.write({ resources: [resource], spans: [], logs: arrived(now) }),
          stores[1]!.write({ resources: [resource], spans: [], logs: arrived(now + 1_000n) }),
        ]);
      }
      assert.equal(await stores[0]!.countLogs(ALL_TIME), 5_000);
      // Spans: the same ids under two starts (a client's clock moved between retries).
      for (let round = 0; round < 10; round++) {
        const sent = Array.from(
          { length: 200 },
          () => buildSpan(resource, { startTimeUnixNano: now, endTimeUnixNano: now + 10n }, rand),
        );
        const moved = sent.map((span) => ({ ...span, startTimeUnixNano: now + 1_000n }));
        await Promise.all([
          stores[0]!.write({ resources: [resource], spans: sent, logs: [] }),
          stores[1]!.write({ resources: [resource], spans: moved, logs: [] }),
        ]);
      }
      assert.equal(await stores[0]!.countSpans(ALL_TIME), 2_000);
    } finally {
      for (const store of stores) await store.close();
      await database.drop();
    }
  });

  Deno.test("postgres: a database from before the change migrates with its rows, and its old table is dropped whole once past", async () => {
    const database = await freshDatabase("postgres");
    const open = openDatabase(database.config, database.dataDir, () => {});
    // deno-lint-ignore no-explicit-any
    const db = open.db as Kysely<any>;
    let store: Store | undefined;
    try {
      const migrator = argusMigrator(db, "postgres");
      assert.equal((await migrator.migrateTo("2026-12-14_replicas")).error, undefined);
      const resource = buildResource("legacy-service");
      const rand = random(5);
      const old = todayNs() - 3n * DAY_NS;
      const spans = Array.from({ length: 50 }, (_, i) => {
        const start = old + BigInt(i) * HOUR_NS;
        return buildSpan(
          resource,
          { startTimeUnixNano: start, endTimeUnixNano: start + 10n },
          rand,
        );
      });
      const ahead = todayNs() + 40n * DAY_NS; // a clock ahead: not in the legacy partition's range
      spans.push(
        buildSpan(resource, { startTimeUnixNano: ahead, endTimeUnixNano: ahead + 10n }, rand),
      );
      const logs = spans.map((s) =>
        buildLog(resource, {
          timeUnixNano: s.startTimeUnixNano,
          observedTimeUnixNano: s.startTimeUnixNano,
        }, rand)
      );
      const int64 = open.capabilities.int64;
      // The rows as that schema had them: without the columns of 2026-12-16_otlp_fidelity and
      // 2026-12-17_long_text.
      const before = <T extends object>(row: T) => {
        const {
          scope_schema_url: _url,
          scope_dropped_attributes_count: _dropped,
          time_unset: _unset,
          entity_refs: _refs,
          long_text: _long,
          ...rest
        } = row as Record<string, unknown>;
        return rest;
      };
      await db.insertInto("resources").values(before(resourceToDb(resource))).execute();
      await db.insertInto("spans").values(spans.map((s) => before(spanToDb(s, int64))))
        .execute();
      await db.insertInto("logs").values(logs.map((l) => before(logToDb(l, int64)))).execute();

      store = await createStore(database.config, { dataDir: database.dataDir });
      assert.deepEqual((await store.migrate()).applied, [
        "2026-12-15_time_partitions",
        "2026-12-16_otlp_fidelity",
        "2026-12-17_long_text",
        "2026-12-18_metric_fidelity",
        "2026-12-19_metric_partitions",
        "2026-12-20_trace_keys",
        "2026-12-21_spans_by_trace_key",
      ]);
      const midnight = todayNs() + DAY_NS;
      for (const table of ["spans", "logs"] as const) {
        const found = await ranges(db, table);
        assert.deepEqual([found[0]!.name, found[0]!.from, found[0]!.to], [
          `${table}_legacy`,
          undefined,
          midnight,
        ]);
        const { rows } = await sql<{ n: string }>`select count(*) as n from ${
          sql.table(`${table}_legacy`)
        }`
          .execute(db);
        assert.equal(Number(rows[0]!.n), 50, `${table}: the rows before midnight stay in place`);
      }
      // The span from a clock ahead left the legacy table for the default partition.
      const { rows: ahead1 } = await sql<{ n: string }>`select count(*) as n from spans_default`
        .execute(db);
      assert.equal(Number(ahead1[0]!.n), 1);
      assert.equal(await store.countSpans(ALL_TIME), 51);
      // Counted in the table: rows written before the store (no rollups count them).
      const { rows: all } = await sql<{ n: string }>`select count(*) as n from logs`.execute(db);
      assert.equal(Number(all[0]!.n), 51);
      // Retries are still duplicates, also a span with stored ids and another start.
      const again = await store.write({ resources: [resource], spans, logs });
      assert.deepEqual([again.spans.inserted, again.logs.inserted], [0, 0]);
      const moved = { ...spans[0]!, startTimeUnixNano: todayNs() + 2n * HOUR_NS };
      const other = await store.write({ resources: [resource], spans: [moved], logs: [] });
      assert.deepEqual([other.spans.inserted, other.spans.duplicates], [0, 1]);
      assert.equal(await store.countSpans(ALL_TIME), 51);
      // A new span lands in its own day's partition.
      const fresh = buildSpan(resource, {
        startTimeUnixNano: midnight + HOUR_NS,
        endTimeUnixNano: midnight + HOUR_NS + 5n,
      }, rand);
      assert.equal(
        (await store.write({ resources: [resource], spans: [fresh], logs: [] })).spans.inserted,
        1,
      );
      const { rows: placed } = await sql<{ name: string }>`
        select tableoid::regclass::text as name from spans where span_id = ${fresh.spanId}`.execute(
        db,
      );
      assert.equal(placed[0]!.name, partitionName("spans", midnight));

      // Past the legacy partition's end: it is dropped whole.
      const purged = await store.maintenance.purge({ olderThanNs: midnight, signal: "all" });
      assert.ok(
        purged.droppedPartitions?.includes("spans_legacy"),
        JSON.stringify(purged, (_k, v) => typeof v === "bigint" ? String(v) : v),
      );
      assert.ok(purged.droppedPartitions?.includes("logs_legacy"));
      assert.equal(purged.deletedSpans, 50);
      assert.equal(await store.countSpans(ALL_TIME), 2);
    } finally {
      await store?.close();
      await db.destroy();
      await database.drop();
    }
  });

  /** A gauge's points of one series at `times`, each with an exemplar, decoded for the store. */
  const gaugeAt = (times: bigint[]) =>
    storeBatch([decodeMetrics(encodeMetrics(oneScope([
      gaugeMetric(
        "queue.size",
        times.map((t, i) =>
          intPoint(t, i, {
            attributes: stringAttrs({ queue: "orders" }),
            exemplars: [exemplar({ timeUnixNano: String(t), asInt: i })],
          })
        ),
      ),
    ])))]);
  const count = async (db: Kysely<Database>, table: string) =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!
        .n,
    );

  Deno.test("postgres: metric points and exemplars go to their day's partition, and a purge drops their partitions whole", async () => {
    await withPostgres(async (store, db) => {
      const today = todayNs();
      const first = today - 10n * DAY_NS;
      await new Partitions(db, { ahead: 3 }).ensureAhead(first);
      const times = [first + HOUR_NS, first + DAY_NS + HOUR_NS, first + 2n * DAY_NS + HOUR_NS];
      const batch = gaugeAt(times);
      assert.equal((await store.write(batch)).metrics?.inserted, 3);
      for (const [day, time] of times.entries()) {
        assert.equal(
          await count(db, partitionName("metric_points", first + BigInt(day) * DAY_NS)),
          1,
        );
        assert.equal(await count(db, partitionName("metric_exemplars", time - HOUR_NS)), 1);
      }
      // A retry is a duplicate in its partition.
      assert.equal((await store.write(batch)).metrics?.inserted, 0);

      // Two whole days before the cutoff: their partitions go, their rows counted.
      const purged = await store.maintenance.purge({
        olderThanNs: first + 2n * DAY_NS,
        signal: "all",
        partitionAligned: true,
      });
      for (const table of ["metric_points", "metric_exemplars", "metric_rollup_points"] as const) {
        for (const day of [0n, 1n]) {
          assert.ok(
            purged.droppedPartitions?.includes(partitionName(table, first + day * DAY_NS)),
            `${table} day ${day}: ${purged.droppedPartitions?.join()}`,
          );
        }
      }
      assert.equal(purged.deletedMetricPoints, 2);
      assert.equal(await count(db, "metric_points"), 1);
      assert.equal(await count(db, "metric_exemplars"), 1);
    });
  });

  Deno.test("postgres: a database from before the metric partitions migrates with its points", async () => {
    const database = await freshDatabase("postgres");
    const open = openDatabase(database.config, database.dataDir, () => {});
    let store: Store | undefined;
    try {
      const migrator = argusMigrator(open.db as Kysely<unknown>, "postgres");
      assert.equal((await migrator.migrateTo("2026-12-18_metric_fidelity")).error, undefined);
      store = await createStore(database.config, { dataDir: database.dataDir });
      const old = todayNs() - 3n * DAY_NS;
      const batch = gaugeAt([old, old + HOUR_NS, todayNs() + 40n * DAY_NS]);
      assert.equal((await store.write(batch)).metrics?.inserted, 3);
      assert.deepEqual((await store.migrate()).applied, [
        "2026-12-19_metric_partitions",
        "2026-12-20_trace_keys",
        "2026-12-21_spans_by_trace_key",
      ]);

      const midnight = todayNs() + DAY_NS;
      for (const table of ["metric_points", "metric_exemplars"] as const) {
        const found = await ranges(open.db, table);
        assert.deepEqual([found[0]!.name, found[0]!.from, found[0]!.to], [
          `${table}_legacy`,
          undefined,
          midnight,
        ]);
        assert.equal(await count(open.db, `${table}_legacy`), 2, table);
        // The point from a clock ahead left the legacy table for the default partition.
        assert.equal(await count(open.db, `${table}_default`), 1, table);
      }
      assert.equal((await store.write(batch)).metrics?.inserted, 0);

      const purged = await store.maintenance.purge({ olderThanNs: midnight, signal: "all" });
      assert.ok(purged.droppedPartitions?.includes("metric_points_legacy"));
      assert.ok(purged.droppedPartitions?.includes("metric_exemplars_legacy"));
      assert.equal(purged.deletedMetricPoints, 2);
      assert.equal(await count(open.db, "metric_points"), 1);
    } finally {
      await store?.close();
      await open.db.destroy();
      await database.drop();
    }
  });
}
