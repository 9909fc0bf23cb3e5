/**
 * The cardinality limit of metrics (MAX_SERIES_PER_INSTRUMENT): a data point of a new
 * series of an instrument that already has that many series is refused, one by one, as partial
 * success. One runaway label (a user id, a request id) then costs one instrument its new series,
 * not the disk. Points of the series an instrument already has keep being stored.
 *
 * Where: at ingest, before the batch is queued, so that the client learns of the refusal in its
 * answer (`rejected_data_points`). The decision is made against an in-memory view of each
 * instrument's series keys, loaded lazily from the database (at most `limit` keys of the
 * instrument), then kept by the admissions themselves. Within one process the limit is exact
 * under concurrency: a point's check and the taking of its slot happen with no `await` between
 * them, and requests for an instrument whose view is (re)loading wait for it.
 *
 * Not at the dead-letter replay: a replayed point was acknowledged, so it is stored whatever the
 * limit says now (promise 1). The limit holds at ingest only.
 *
 * What the view may count wrongly, and how it heals:
 * - A slot taken by a point that was then not stored (the queue was full, the batch failed) stays
 *   taken until the view is reloaded: the view errs on the side of refusing.
 * - Room freed by retention (store/metric_retention.ts deletes series silent for the retention
 *   period) or an admin purge is seen when the view reloads: a full view is reloaded before it
 *   refuses a point, at most once per `reloadIntervalMs` (METRIC_SERIES_RELOAD, a minute by
 *   default). A reload is the database's keys plus the keys admitted and still in flight
 *   (queued, not yet committed), so nothing admitted is forgotten meanwhile.
 * - Keys admitted whose batch went to the dead-letter queue (database down) are in neither the
 *   database nor the in-flight set at a reload: the replay may store a few more series than the
 *   limit. Several replicas (issue 17) each keep their own view and may overshoot by up to the new
 *   series they admit between two reloads. Both are small next to a runaway label.
 * - While an instrument's keys cannot be read (the database is down), its points are admitted
 *   unchecked: the batcher may still take them into the dead-letter queue, and refusing them would
 *   turn an outage into lost data for the client. The check resumes once the database answers.
 * - Lowering the limit below an instrument's stored series: the view loads `limit` of them (by
 *   key), and the points of the others are refused as new until retention deletes series.
 *
 * Memory: a view holds at most `limit` keys (32-character hex strings, about 80 bytes each with
 * the set's entry), so at most instruments × limit keys: 2,000 × 80 B = 160 KB for a full
 * instrument at the default, 16 MB for 100 full instruments. A view not used for
 * `idleViewMs` (METRIC_SERIES_IDLE, an hour by default) is dropped (and loaded again when its
 * instrument speaks), so only the instruments active within that time count. The number of
 * instruments itself is not limited here.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import type { MetricPointRow } from "../store/metric_types.ts";

/** Up to `max` series keys of an instrument, as stored (any order). */
export type SeriesKeysLoader = (instrumentKey: string, max: number) => Promise<readonly string[]>;

export interface MetricSeriesLimitOptions {
  /** Most series per instrument (MAX_SERIES_PER_INSTRUMENT). */
  limit: number;
  loadSeriesKeys: SeriesKeysLoader;
  logger: Logger;
  /**
   * Least milliseconds between two reloads of a full view from the database
   * (METRIC_SERIES_RELOAD); RELOAD_INTERVAL_MS by default.
   */
  reloadIntervalMs?: number;
  /**
   * Milliseconds after which an unused view is dropped (METRIC_SERIES_IDLE); IDLE_VIEW_MS by
   * default.
   */
  idleViewMs?: number;
  /** Millisecond clock, for the reload interval, idle views and the log's rate. */
  nowMs?: () => number;
}

/** The default least time between two reloads of a full view. */
export const RELOAD_INTERVAL_MS = 60_000;
/** By default, a view unused this long is dropped. */
export const IDLE_VIEW_MS = 3_600_000;
/** The least time between two warnings of one instrument, and between two of a failing read. */
const WARN_INTERVAL_MS = 60_000;

/** Characters of a refused point's attributes (JSON) its reason quotes. */
const ATTRIBUTES_QUOTED = 200;

/** What `admit` decided for a batch's points. */
export interface SeriesAdmission {
  /** The points admitted, in their order. */
  admitted: MetricPointRow[];
  /** Indexes (into the points given) of the refused points, with the reason for the client. */
  refused: { index: number; reason: string }[];
  /**
   * To be called once the admitted points are durable or were refused by the queue (after
   * `Batcher.submit` settles, either way): their new series stop counting as in flight.
   */
  release(): void;
}

interface View {
  keys: Set<string>;
  /** Set while the keys are read from the database: admissions wait for it. */
  loading: Promise<void> | undefined;
  loadedAtMs: number;
  usedAtMs: number;
  warnedAtMs: number;
  /** Points refused since the last warning. */
  refusedSinceWarning: number;
}

export class MetricSeriesLimit {
  readonly limit: number;
  readonly #reloadIntervalMs: number;
  readonly #idleViewMs: number;
  readonly #load: SeriesKeysLoader;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #views = new Map<string, View>();
  /** Per instrument, the new series admitted and not yet released, with how many admissions hold each. */
  readonly #inFlight = new Map<string, Map<string, number>>();
  #sweptAtMs = 0;
  #failWarnedAtMs = -Infinity;

  constructor(options: MetricSeriesLimitOptions) {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new RangeError(
        `Cannot limit series as 'limit' must be a positive integer: current value is ${options.limit}`,
      );
    }
    for (const name of ["reloadIntervalMs", "idleViewMs"] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(
          `Cannot limit series as '${name}' must be a positive integer of milliseconds: ` +
            `current value is ${value}`,
        );
      }
    }
    this.limit = options.limit;
    this.#reloadIntervalMs = options.reloadIntervalMs ?? RELOAD_INTERVAL_MS;
    this.#idleViewMs = options.idleViewMs ?? IDLE_VIEW_MS;
    this.#load = options.loadSeriesKeys;
    this.#logger = options.logger;
    this.#now = options.nowMs ?? Date.now;
  }

  /** Instruments with a view in memory, and the series keys they hold (for tests and figures). */
  size(): { instruments: number; keys: number } {
    let keys = 0;
    for (const view of this.#views.values()) keys += view.keys.size;
    return { instruments: this.#views.size, keys };
  }

  /**
   * Decides for each point: admitted (its series is known, or there is room and it takes a slot)
   * or refused. Never rejects: when an instrument's keys cannot be read (the database is down),
   * its points are admitted unchecked, as the batcher may still take them into the dead-letter
   * queue; the limit then applies again once the database answers.
   */
  async admit(points: readonly MetricPointRow[]): Promise<SeriesAdmission> {
    const now = this.#now();
    this.#sweep(now);
    const decided: (boolean | undefined)[] = new Array(points.length);
    const taken: [string, string][] = [];
    const refusedBy = new Map<string, number>();
    const reloaded = new Set<string>();
    const unchecked = new Set<string>();
    for (;;) {
      const waits = new Map<string, Promise<void>>();
      for (let i = 0; i < points.length; i++) {
        if (decided[i] !== undefined) continue;
        const point = points[i]!;
        const instrument = point.instrumentKey;
        if (unchecked.has(instrument)) {
          decided[i] = true;
          continue;
        }
        let view = this.#views.get(instrument);
        if (view === undefined) {
          view = this.#newView(instrument);
          this.#views.set(instrument, view);
        }
        if (view.loading !== undefined) {
          waits.set(instrument, view.loading);
          continue;
        }
        view.usedAtMs = now;
        if (view.keys.has(point.seriesKey)) {
          decided[i] = true;
        } else if (view.keys.size < this.limit) {
          view.keys.add(point.seriesKey);
          this.#hold(instrument, point.seriesKey);
          taken.push([instrument, point.seriesKey]);
          decided[i] = true;
        } else if (!reloaded.has(instrument) && now - view.loadedAtMs >= this.#reloadIntervalMs) {
          // Full, and last read a while ago: retention may have freed room since.
          reloaded.add(instrument);
          view.loading = this.#reload(instrument, view);
          waits.set(instrument, view.loading);
        } else {
          decided[i] = false;
          refusedBy.set(instrument, (refusedBy.get(instrument) ?? 0) + 1);
        }
      }
      if (waits.size === 0) break;
      const instruments = [...waits.keys()];
      const settled = await Promise.allSettled(waits.values());
      settled.forEach((outcome, i) => {
        if (outcome.status === "fulfilled") return;
        unchecked.add(instruments[i]!);
        this.#loadFailed(outcome.reason, now);
      });
    }

    const admitted: MetricPointRow[] = [];
    const refused: { index: number; reason: string }[] = [];
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      if (decided[i]) admitted.push(point);
      else refused.push({ index: i, reason: this.#reason(point) });
    }
    for (const [instrument, count] of refusedBy) this.#warn(instrument, count, now, points);
    let released = false;
    return {
      admitted,
      refused,
      release: () => {
        if (released) return;
        released = true;
        this.#release(taken);
      },
    };
  }

  #reason(point: MetricPointRow): string {
    const { name, serviceName } = point.instrument;
    const attributes = point.attributes.length > ATTRIBUTES_QUOTED
      ? `${point.attributes.slice(0, ATTRIBUTES_QUOTED)}…`
      : point.attributes;
    return `a point of a new series of the instrument ${JSON.stringify(name)} (service ${
      JSON.stringify(serviceName)
    }) cannot be stored as the instrument has ${this.limit} series, the most ` +
      `MAX_SERIES_PER_INSTRUMENT allows: its attributes are ${attributes}`;
  }

  #warn(instrument: string, count: number, now: number, points: readonly MetricPointRow[]): void {
    const view = this.#views.get(instrument);
    if (view === undefined) return;
    view.refusedSinceWarning += count;
    if (now - view.warnedAtMs < WARN_INTERVAL_MS) return;
    const row = points.find((p) => p.instrumentKey === instrument)!.instrument;
    this.#logger.warn(
      "metric points of new series refused: the instrument has the most series " +
        "MAX_SERIES_PER_INSTRUMENT allows (logged at most once a minute per instrument)",
      {
        instrument: row.name,
        service: row.serviceName,
        instrument_key: instrument,
        limit: this.limit,
        refused: view.refusedSinceWarning,
      },
    );
    view.warnedAtMs = now;
    view.refusedSinceWarning = 0;
  }

  #loadFailed(error: unknown, now: number): void {
    if (now - this.#failWarnedAtMs < WARN_INTERVAL_MS) return;
    this.#failWarnedAtMs = now;
    this.#logger.warn(
      "the series of a metric instrument cannot be read: its points are taken without the " +
        "MAX_SERIES_PER_INSTRUMENT check until the database answers (logged at most once " +
        "a minute)",
      { error },
    );
  }

  #newView(instrument: string): View {
    const view: View = {
      keys: new Set(),
      loading: undefined,
      loadedAtMs: 0,
      usedAtMs: this.#now(),
      warnedAtMs: -Infinity,
      refusedSinceWarning: 0,
    };
    view.loading = this.#reload(instrument, view);
    return view;
  }

  /**
   * Reads the instrument's keys and makes them the view's, with the keys in flight before and
   * after the read (one committed during the read may be missing from it, never from both).
   * Admissions of this instrument wait meanwhile; a failed read drops the view.
   */
  async #reload(instrument: string, view: View): Promise<void> {
    const before = [...(this.#inFlight.get(instrument)?.keys() ?? [])];
    try {
      const stored = await this.#load(instrument, this.limit);
      const keys = new Set(stored);
      for (const key of before) keys.add(key);
      for (const key of this.#inFlight.get(instrument)?.keys() ?? []) keys.add(key);
      view.keys = keys;
      view.loadedAtMs = this.#now();
    } catch (error) {
      if (this.#views.get(instrument) === view) this.#views.delete(instrument);
      throw error;
    } finally {
      view.loading = undefined;
    }
  }

  #hold(instrument: string, key: string): void {
    let keys = this.#inFlight.get(instrument);
    if (keys === undefined) this.#inFlight.set(instrument, keys = new Map());
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }

  #release(taken: readonly [string, string][]): void {
    for (const [instrument, key] of taken) {
      const keys = this.#inFlight.get(instrument);
      const held = keys?.get(key);
      if (keys === undefined || held === undefined) continue;
      if (held > 1) keys.set(key, held - 1);
      else {
        keys.delete(key);
        if (keys.size === 0) this.#inFlight.delete(instrument);
      }
    }
  }

  /** Drops the views unused for `idleViewMs` (checked at most once a minute, or per `idleViewMs`). */
  #sweep(now: number): void {
    if (now - this.#sweptAtMs < Math.min(WARN_INTERVAL_MS, this.#idleViewMs)) return;
    this.#sweptAtMs = now;
    for (const [instrument, view] of this.#views) {
      if (view.loading === undefined && now - view.usedAtMs >= this.#idleViewMs) {
        this.#views.delete(instrument);
      }
    }
  }
}
