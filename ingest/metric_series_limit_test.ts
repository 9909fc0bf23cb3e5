import assert from "node:assert/strict";
import { createLogger } from "../lib/logger.ts";
import type { MetricPointRow } from "../store/metric_types.ts";
import { IDLE_VIEW_MS, MetricSeriesLimit, RELOAD_INTERVAL_MS } from "./metric_series_limit.ts";

/** A point of `series` of `instrument`: only what the limit reads is filled in. */
function point(instrument: string, series: string): MetricPointRow {
  return {
    instrumentKey: instrument,
    seriesKey: `${instrument}/${series}`,
    attributes: JSON.stringify({ user: series }),
    instrument: { key: instrument, name: `${instrument}.name`, serviceName: "shop" },
  } as unknown as MetricPointRow;
}

/** A database of series keys per instrument, whose reads can be held back. */
class FakeSeries {
  readonly stored = new Map<string, Set<string>>();
  loads = 0;
  failing = false;
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};

  hold(): void {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#gate = promise;
    this.#open = resolve;
  }
  open(): void {
    this.#open();
    this.#gate = Promise.resolve();
  }
  commit(points: readonly MetricPointRow[]): void {
    for (const p of points) {
      let keys = this.stored.get(p.instrumentKey);
      if (keys === undefined) this.stored.set(p.instrumentKey, keys = new Set());
      keys.add(p.seriesKey);
    }
  }
  load = async (instrument: string, max: number): Promise<string[]> => {
    this.loads++;
    await this.#gate;
    if (this.failing) throw new Error("connection refused");
    return [...(this.stored.get(instrument) ?? [])].slice(0, max);
  };
}

function setup(
  limit: number,
  intervals: { reloadIntervalMs?: number; idleViewMs?: number } = {},
) {
  const db = new FakeSeries();
  const lines: string[] = [];
  let now = 1_000_000;
  const seriesLimit = new MetricSeriesLimit({
    limit,
    ...intervals,
    loadSeriesKeys: db.load,
    logger: createLogger("debug", (_level, line) => lines.push(line)),
    nowMs: () => now,
  });
  return { db, lines, seriesLimit, advance: (ms: number) => (now += ms) };
}

const series = (from: number, to: number, instrument = "cpu") =>
  Array.from({ length: to - from }, (_, i) => point(instrument, `s${from + i}`));

Deno.test("MetricSeriesLimit refuses the points of new series past the limit, one by one", async () => {
  const { db, lines, seriesLimit } = setup(5);
  const batch = [...series(0, 8), point("cpu", "s0"), point("mem", "s0")];
  const admission = await seriesLimit.admit(batch);
  assert.deepEqual(admission.admitted.map((p) => p.seriesKey), [
    "cpu/s0",
    "cpu/s1",
    "cpu/s2",
    "cpu/s3",
    "cpu/s4",
    "cpu/s0",
    "mem/s0",
  ]);
  assert.deepEqual(admission.refused.map((r) => r.index), [5, 6, 7]);
  assert.match(
    admission.refused[0]!.reason,
    /^a point of a new series of the instrument "cpu\.name" \(service "shop"\) cannot be stored as the instrument has 5 series, the most MAX_SERIES_PER_INSTRUMENT allows: its attributes are \{"user":"s5"\}$/,
  );
  db.commit(admission.admitted);
  admission.release();

  // Known series keep being admitted; new ones are still refused; one warning a minute.
  const again = await seriesLimit.admit([point("cpu", "s3"), point("cpu", "s9")]);
  assert.deepEqual(again.admitted.map((p) => p.seriesKey), ["cpu/s3"]);
  assert.deepEqual(again.refused.map((r) => r.index), [1]);
  const warnings = lines.filter((l) => l.includes("WARN"));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /instrument=cpu\.name service=shop .*limit=5 refused=3/);
  assert.equal(db.loads, 2, "one read per instrument");
});

Deno.test("MetricSeriesLimit never admits past the limit when requests race for the last slot", async () => {
  const { db, seriesLimit } = setup(5);
  db.commit(series(0, 4));
  // Both requests arrive while the view is still being read from the database.
  db.hold();
  const first = seriesLimit.admit([point("cpu", "a"), point("cpu", "s1")]);
  const second = seriesLimit.admit([point("cpu", "b"), point("cpu", "s2")]);
  db.open();
  const [a, b] = await Promise.all([first, second]);
  assert.deepEqual(a.admitted.map((p) => p.seriesKey), ["cpu/a", "cpu/s1"]);
  assert.deepEqual(b.admitted.map((p) => p.seriesKey), ["cpu/s2"]);
  assert.deepEqual(b.refused.map((r) => r.index), [0]);
  assert.equal(db.loads, 1, "the two requests share one read");
  assert.deepEqual(seriesLimit.size(), { instruments: 1, keys: 5 });
});

Deno.test("MetricSeriesLimit reloads a full view after a minute: room freed by retention is seen, slots in flight are kept", async () => {
  const { db, seriesLimit, advance } = setup(3);
  db.commit(series(0, 2));
  // s2 takes the last slot and stays in flight (queued, not committed) over the reload.
  const inFlight = await seriesLimit.admit([point("cpu", "s2")]);
  assert.equal(inFlight.admitted.length, 1);
  // Retention deletes s0 and s1.
  db.stored.get("cpu")!.clear();
  assert.equal((await seriesLimit.admit([point("cpu", "x")])).refused.length, 1, "not yet read");
  advance(RELOAD_INTERVAL_MS);
  const after = await seriesLimit.admit([point("cpu", "x"), point("cpu", "y"), point("cpu", "z")]);
  assert.deepEqual(after.admitted.map((p) => p.seriesKey), ["cpu/x", "cpu/y"]);
  assert.deepEqual(after.refused.map((r) => r.index), [2], "s2, in flight, keeps its slot");
  inFlight.release();
  after.release();
});

Deno.test("MetricSeriesLimit admits unchecked while the database cannot be read, and checks again after", async () => {
  const { db, lines, seriesLimit } = setup(2);
  db.commit(series(0, 2));
  db.failing = true;
  const down = await seriesLimit.admit(series(0, 4));
  assert.equal(down.admitted.length, 4, "the batcher may still dead-letter them");
  assert.equal(lines.filter((l) => l.includes("cannot be read")).length, 1);
  db.failing = false;
  const up = await seriesLimit.admit(series(0, 4));
  assert.deepEqual(up.refused.map((r) => r.index), [2, 3]);
});

Deno.test("MetricSeriesLimit drops views unused for an hour and reads them again", async () => {
  const { db, seriesLimit, advance } = setup(2);
  db.commit(series(0, 2));
  (await seriesLimit.admit(series(0, 1))).release();
  (await seriesLimit.admit(series(0, 1, "mem"))).release();
  advance(IDLE_VIEW_MS - RELOAD_INTERVAL_MS);
  (await seriesLimit.admit(series(0, 1, "mem"))).release();
  advance(RELOAD_INTERVAL_MS);
  (await seriesLimit.admit(series(0, 1, "mem"))).release();
  assert.deepEqual(seriesLimit.size(), { instruments: 1, keys: 1 });
  const back = await seriesLimit.admit(series(0, 3));
  assert.deepEqual(back.refused.map((r) => r.index), [2], "the limit holds after the reload");
  assert.equal(db.loads, 3);
});

Deno.test("MetricSeriesLimit reloads and drops views at the intervals it is given", async () => {
  const { db, seriesLimit, advance } = setup(1, { reloadIntervalMs: 5_000, idleViewMs: 120_000 });
  db.commit(series(0, 1));
  assert.equal((await seriesLimit.admit(series(1, 2))).refused.length, 1, "full");
  db.stored.get("cpu")!.clear();
  advance(4_999);
  assert.equal((await seriesLimit.admit(series(1, 2))).refused.length, 1, "not reloaded yet");
  advance(1);
  assert.equal((await seriesLimit.admit(series(1, 2))).refused.length, 0, "reloaded: room seen");
  assert.equal(db.loads, 2);
  advance(120_000);
  (await seriesLimit.admit(series(0, 1, "mem"))).release();
  assert.deepEqual(seriesLimit.size(), { instruments: 1, keys: 1 }, "cpu's idle view dropped");
  assert.throws(
    () => setup(1, { idleViewMs: 0 }),
    new RangeError(
      "Cannot limit series as 'idleViewMs' must be a positive integer of milliseconds: " +
        "current value is 0",
    ),
  );
});

Deno.test("MetricSeriesLimit refuses a limit that is not a positive integer", () => {
  assert.throws(
    () => setup(0),
    new RangeError(
      "Cannot limit series as 'limit' must be a positive integer: current value is 0",
    ),
  );
});
