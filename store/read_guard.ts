/**
 * The store as the API sees it: each read timed (`argus_db_latency{op="query"}`; writes are timed
 * by ingest), refused at once with `StoreUnavailableError` while the database is not ready, and a
 * read that fails because the database is unreachable or refusing turned into that error (the
 * routes answer it 503 with the reason).
 *
 * Method by method: a method added to `Store` does not type-check here until it is said whether
 * it is a read (guarded) or not (passed through).
 *
 * @module
 */
import { classifyDbError, StoreUnavailableError } from "./db_errors.ts";
import type { Store } from "./mod.ts";
import type { RollupReads } from "./rollup_queries.ts";
import type { InstrumentReads } from "./metric_reads.ts";
import { errorMessage } from "../utils/errors.ts";

export interface ReadGuardOptions {
  /** Whether the database has been reached and migrated (store/readiness.ts). */
  readiness: { readonly ready: boolean; readonly lastError: unknown };
  /** Times one read (the Prometheus histogram). */
  timeRead<T>(run: () => Promise<T>): Promise<T>;
}

export function guardReads(store: Store, { readiness, timeRead }: ReadGuardOptions): Store {
  const read = async <T>(run: () => Promise<T>): Promise<T> => {
    if (!readiness.ready) {
      throw new StoreUnavailableError(
        `The database is not available: ${errorMessage(readiness.lastError)}. Argus keeps ` +
          "acknowledging OTLP data through its dead-letter queue and stores it when the database " +
          "is back",
        { kind: "unreachable" },
      );
    }
    try {
      return await timeRead(run);
    } catch (error) {
      const kind = classifyDbError(store.driver, error);
      if (kind !== "unreachable" && kind !== "refused") throw error;
      throw new StoreUnavailableError(`The database is not available: ${errorMessage(error)}`, {
        cause: error,
        kind,
      });
    }
  };
  const rollups: RollupReads = {
    totals: (...a) => read(() => store.rollups.totals(...a)),
    services: (...a) => read(() => store.rollups.services(...a)),
    serviceRequests: (...a) => read(() => store.rollups.serviceRequests(...a)),
    latencyBuckets: (...a) => read(() => store.rollups.latencyBuckets(...a)),
    latencySeries: (...a) => read(() => store.rollups.latencySeries(...a)),
    trafficSeries: (...a) => read(() => store.rollups.trafficSeries(...a)),
    edges: (...a) => read(() => store.rollups.edges(...a)),
    logCount: (...a) => read(() => store.rollups.logCount(...a)),
    latestMinute: () => read(() => store.rollups.latestMinute()),
    operations: (...a) => read(() => store.rollups.operations(...a)),
  };
  const instruments: InstrumentReads = {
    instruments: (...a) => read(() => store.instruments.instruments(...a)),
    seriesCounts: (...a) => read(() => store.instruments.seriesCounts(...a)),
    instrument: (...a) => read(() => store.instruments.instrument(...a)),
    series: (...a) => read(() => store.instruments.series(...a)),
    points: (...a) => read(() => store.instruments.points(...a)),
    chartPoints: (...a) => read(() => store.instruments.chartPoints(...a)),
    exportIntervalNs: (...a) => read(() => store.instruments.exportIntervalNs(...a)),
    pointCount: (...a) => read(() => store.instruments.pointCount(...a)),
    exemplars: (...a) => read(() => store.instruments.exemplars(...a)),
  };
  return {
    driver: store.driver,
    // Reads:
    traceSpans: (...a) => read(() => store.traceSpans(...a)),
    traceStructure: (...a) => read(() => store.traceStructure(...a)),
    traceSpan: (...a) => read(() => store.traceSpan(...a)),
    traceSearchCandidates: (...a) => read(() => store.traceSearchCandidates(...a)),
    spans: (...a) => read(() => store.spans(...a)),
    countSpans: (...a) => read(() => store.countSpans(...a)),
    traces: (...a) => read(() => store.traces(...a)),
    planLogs: (...a) => read(() => store.planLogs(...a)),
    logs: (...a) => read(() => store.logs(...a)),
    countLogs: (...a) => read(() => store.countLogs(...a)),
    logTotal: (...a) => read(() => store.logTotal(...a)),
    logById: (...a) => read(() => store.logById(...a)),
    logsByIds: (...a) => read(() => store.logsByIds(...a)),
    errorOrigins: (...a) => read(() => store.errorOrigins(...a)),
    rollups,
    instruments,
    // Not reads: maintenance has its own bounds (admin.ts), the health check pings to learn
    // whether the database is there, and the rest is ingest's and the process's.
    maintenance: store.maintenance,
    metricRollups: store.metricRollups,
    ping: () => store.ping(),
    migrate: () => store.migrate(),
    write: (...a) => store.write(...a),
    writesInFlight: store.writesInFlight,
    waitingChildSpans: () => store.waitingChildSpans(),
    close: () => store.close(),
  };
}
