/**
 * The dead-letter queue (DLQ): batches the database could not take are written to files, and a
 * replay worker stores them later. The batcher acknowledges clients only after `write()` resolves,
 * so the write is atomic and durable: a temp file in the same folder, fsync'd, renamed to its
 * final name, then the folder fsync'd. The file format is in `dlq_format.ts`.
 *
 * Invariants this module keeps:
 * - An acknowledged batch stays on disk until every item of it is stored, or proved poison and
 *   written (durably) to `quarantine/` with its reason; it is never deleted otherwise. A store
 *   that throws (unavailable, read-only, out of disk, timing out, not migrated yet: any error)
 *   proves nothing about the items, so the file stays, however many passes fail.
 * - Replaying is safe to repeat: the store skips rows it already holds, so a file replayed twice
 *   (a crash after a commit, before the delete; a pass stopped in the middle of a file) stores
 *   its items once.
 * - No file is larger than `maxFileBytes` (`DLQ_MAX_FILE_BYTES`): writes split a large batch, and
 *   a larger file found in the folder is quarantined without being read (its size is checked
 *   first), since reading it could exhaust memory.
 * - Memory while replaying is bounded by a chunk of rows, not by the file: files are read as a
 *   stream and stored `replayChunkRows` rows at a time, and the event loop gets a turn between
 *   chunks, so ingest and the API stay answered while a backlog replays.
 * - A file that cannot be read as one of ours is moved to `quarantine/` beside a `.reason.txt`,
 *   once; so is one whose reading fails (the file system, not the store) in `MAX_FAILED_PASSES`
 *   passes.
 *
 * @module
 */
import { join } from "node:path";
import { exists, makeDirsDurably, syncDir } from "../lib/durable_fs.ts";
import { StoreUnavailableError } from "../store/mod.ts";
import type { Batch, LogRow, ResourceRow, SpanRow, Store, WriteResult } from "../store/mod.ts";
import type { MetricPointRow } from "../store/metric_types.ts";
import type { Logger } from "../lib/logger.ts";
import {
  type DlqRecord,
  encodeDlqFiles,
  endLine,
  headerLine,
  InvalidDlqFileError,
  logLine,
  metricLine,
  readDlqFile,
  resourceLine,
  spanLine,
} from "./dlq_format.ts";
import { errorMessage } from "../utils/errors.ts";

export { decodeDlqFile, encodeDlqFile, encodeDlqFiles, RowTooLargeError } from "./dlq_format.ts";

export interface DeadLetterQueueOptions {
  /** `DLQ_DIR`, e.g. `./data/dlq`; created if missing. */
  dir: string;
  /** Total bytes of waiting batch files beyond which `write()` refuses with `DlqFullError`. */
  maxBytes: number;
  /**
   * Largest file (`DLQ_MAX_FILE_BYTES`): `write()` splits a batch to stay under it, and a larger
   * file in the folder is quarantined unread. 64 MiB by default.
   */
  maxFileBytes?: number;
  /** Rows stored per `store.write` of the replay (`BATCH_SIZE`); 1000 by default. */
  replayChunkRows?: number;
  logger: Logger;
  /** Self-monitoring hooks (e.g. the Prometheus metrics); none by default. */
  observer?: DeadLetterObserver;
  /** Clock in milliseconds since the Unix epoch; for tests. */
  now?: () => number;
}

/**
 * Optional self-monitoring hooks; every method may be left out. They keep ingest free of any
 * metrics library. A hook that throws is logged and otherwise ignored.
 */
export interface DeadLetterObserver {
  /** One `write()` ended: `full` is `DlqFullError`, `error` any other failure. */
  dlqWrite?(outcome: "ok" | "full" | "error"): void;
  /**
   * One `store.write` of the replay worker (one chunk of a file) took `seconds` (monotonic clock)
   * and ended so: `unavailable` is `StoreUnavailableError`, `error` any other thrown error.
   */
  dlqStoreWrite?(seconds: number, outcome: "ok" | "unavailable" | "error"): void;
  /**
   * One file was replayed to its end and deleted: its items were stored, already stored, or
   * refused for their own content (`rejectedItems`, written to `quarantine/` first).
   */
  dlqReplayedFile?(file: {
    storedSpans: number;
    storedLogs: number;
    storedMetrics: number;
    duplicateItems: number;
    rejectedItems: number;
  }): void;
  /** One file was moved to `quarantine/` (unreadable, foreign, or over `maxFileBytes`). */
  dlqQuarantined?(): void;
}

/** `write()` refused a batch because the queue holds `maxBytes` already: answer "retry later". */
export class DlqFullError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DlqFullError";
  }
}

export interface ReplayReport {
  /** Files replayed to their end (their files are deleted). */
  replayedFiles: number;
  /** Items newly stored by this pass (also from files the pass did not finish). */
  storedSpans: number;
  storedLogs: number;
  /** Metric data points newly stored by this pass. */
  storedMetrics: number;
  /** Items the store already held (an earlier replay or a client retry stored them). */
  duplicateItems: number;
  /**
   * Items the store refused for their own content: written to `quarantine/` with their reasons,
   * in a file of their own, before their source file was deleted.
   */
  rejectedItems: number;
  /** Files moved to `quarantine/` by this pass. */
  quarantinedFiles: number;
  /**
   * Batch files this pass left in place for a later one: the store failed (the pass then stops),
   * reading failed (retried up to `MAX_FAILED_PASSES` passes), or `stop()` ended the pass early.
   */
  keptFiles: number;
  /** True when a `store.write` threw and ended the pass: the replay worker then backs off. */
  storeFailed: boolean;
}

/** Running totals since the queue was created, for self-metrics. */
export interface DlqCounters {
  /** Files written (a batch split over several files counts each). */
  written: number;
  /** Every `write()` that rejected, `DlqFullError` included. */
  writeFailures: number;
  replayedFiles: number;
  quarantinedFiles: number;
  /** Items refused for their content and written to `quarantine/`. */
  rejectedItems: number;
}

/** `DLQ_MAX_FILE_BYTES` unless the caller says otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1_048_576;
const DEFAULT_CHUNK_ROWS = 1000;
/**
 * Line bytes that end a replay chunk before `replayChunkRows` rows: rows can be large (every field
 * up to `MAX_FIELD_BYTES`), and a chunk's rows are held twice (decoded, and as the store's rows).
 */
const CHUNK_BYTES = 8 * 1_048_576;
/** The replay worker's longest wait after passes the store failed, unless the interval is longer. */
export const MAX_BACKOFF_MS = 10_000;
const QUARANTINE_DIR = "quarantine";
/** Names that are (or claim to be) batch files; their content decides whether they are ours. */
const BATCH_NAME = /^batch_.+\.json$/;
/** Temp files of writes in progress, or of writes a crash interrupted (never acknowledged). */
const TEMP_NAME = /^batch_.+\.json\.tmp$/;
/** Temp files of refused items being written to `quarantine/` (the source file still exists). */
const REFUSED_TEMP_NAME = /^batch_.+\.rejected\.[0-9a-f]{8}\.tmp$/;
/** Passes in which reading a file may fail before it is quarantined (the store never counts). */
export const MAX_FAILED_PASSES = 3;
/** Refusal reasons written to the log and to `.reason.txt` per file; the file holds all. */
const LISTED_REJECTIONS = 20;
const LOGGED_REJECTIONS = 5;
/** Bytes of refused-item lines buffered before they are written to their quarantine file. */
const REFUSED_BUFFER_BYTES = 1_048_576;

// --- file system helpers -------------------------------------------------------------------------

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** Writes a new file and fsyncs it; fails if the name exists. The caller fsyncs the folder. */
async function writeNewFile(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    await writeAll(file, bytes);
    await file.sync();
  } finally {
    file.close();
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function randomHex(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, "0");
}

/** Lets timers and I/O callbacks run (a resolved promise would not: microtasks come first). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The wait before the next replay pass after `failedPasses` passes in a row the store failed:
 * the interval, doubled per failed pass up to `MAX_BACKOFF_MS` (or the interval if longer).
 */
export function replayDelayMs(intervalMs: number, failedPasses: number): number {
  if (failedPasses === 0) return intervalMs;
  const ceiling = Math.max(intervalMs, MAX_BACKOFF_MS);
  return Math.min(intervalMs * 2 ** Math.min(failedPasses, 30), ceiling);
}

// --- refused items ------------------------------------------------------------------------------

/**
 * The items of one replayed file that the store refused for their own content, written as they
 * are found to a temp file in `quarantine/`: a version-2 DLQ file (so an operator can read it,
 * and replay it by moving it back) whose lines carry the reasons. Held in memory: only a buffer.
 */
class RefusedItems {
  readonly counts = { resources: 0, spans: 0, logs: 0, metrics: 0 };
  /** The first reasons, for the log and `.reason.txt`. */
  readonly listed: string[] = [];
  readonly temp: string;
  #file: Deno.FsFile | undefined;
  #buffer: string[] = [];
  #buffered = 0;
  readonly #resources = new Set<string>();
  readonly #encoder = new TextEncoder();

  constructor(readonly quarantineDir: string, readonly source: string, readonly createdAt: Date) {
    this.temp = join(quarantineDir, `${refusedBase(source)}.${randomHex()}.tmp`);
  }

  get total(): number {
    return this.counts.spans + this.counts.logs + this.counts.metrics;
  }

  async add(
    kind: "span" | "log" | "metric",
    row: SpanRow | LogRow | MetricPointRow,
    index: number,
    reason: string,
    resource: ResourceRow | undefined,
  ): Promise<void> {
    if (this.#file === undefined) {
      this.#file = await Deno.open(this.temp, { write: true, createNew: true });
      this.#push(headerLine(this.createdAt));
    }
    if (resource !== undefined && !this.#resources.has(resource.id)) {
      this.#resources.add(resource.id);
      this.counts.resources++;
      this.#push(resourceLine(resource));
    }
    if (kind === "span") {
      this.counts.spans++;
      this.#push(spanLine(row as SpanRow, reason));
    } else if (kind === "log") {
      this.counts.logs++;
      this.#push(logLine(row as LogRow, reason));
    } else {
      this.counts.metrics++;
      this.#push(metricLine(row as MetricPointRow, reason));
    }
    if (this.listed.length < LISTED_REJECTIONS) this.listed.push(`${kind} ${index}: ${reason}`);
    if (this.#buffered >= REFUSED_BUFFER_BYTES) await this.#flush();
  }

  #push(line: string): void {
    this.#buffer.push(line);
    this.#buffered += line.length;
  }

  async #flush(): Promise<void> {
    if (this.#file === undefined || this.#buffer.length === 0) return;
    const bytes = this.#encoder.encode(this.#buffer.join(""));
    this.#buffer = [];
    this.#buffered = 0;
    await writeAll(this.#file, bytes);
  }

  /** Ends the file and fsyncs it; the caller renames it and fsyncs the folder. */
  async finish(): Promise<void> {
    this.#push(endLine(this.counts));
    await this.#flush();
    await this.#file!.sync();
    this.#file!.close();
    this.#file = undefined;
  }

  /** Removes the temp file (the source file stays, and a later pass finds these items again). */
  async discard(): Promise<void> {
    try {
      this.#file?.close();
    } catch {
      // closed already
    }
    this.#file = undefined;
    await removeIfPresent(this.temp);
  }
}

/** `batch_x.json` → `batch_x.rejected`: the refused items' file still matches `BATCH_NAME`. */
function refusedBase(source: string): string {
  return `${source.replace(/\.json$/, "")}.rejected`;
}

// --- the queue -----------------------------------------------------------------------------------

type FileOutcome =
  | "replayed"
  | "quarantined"
  | "kept"
  | "gone"
  /** The store threw: the pass stops, and every file waits for a later one. */
  | "storeFailed"
  /** `stop()` was called: the pass stops. */
  | "stopped";

/** A `store.write` of the replay threw. */
class StoreFailure {
  constructor(readonly error: unknown) {}
}
/** The refused items could not be written to `quarantine/`. */
class RefusedWriteFailure {
  constructor(readonly error: unknown) {}
}
/** `stop()` was called between two chunks. */
class Stopped {}

export class DeadLetterQueue {
  readonly counters: DlqCounters = {
    written: 0,
    writeFailures: 0,
    replayedFiles: 0,
    quarantinedFiles: 0,
    rejectedItems: 0,
  };

  readonly #dir: string;
  readonly #quarantineDir: string;
  readonly #maxBytes: number;
  readonly #maxFileBytes: number;
  readonly #chunkRows: number;
  readonly #log: Logger;
  readonly #observer: DeadLetterObserver | undefined;
  readonly #now: () => number;

  #ready: Promise<void> | undefined;
  /** Waiting batch files (name → bytes), kept in step with the folder so `size()` is synchronous. */
  readonly #files = new Map<string, number>();
  #bytes = 0;
  /** Bytes of writes in progress, counted against `maxBytes` so concurrent writes cannot overshoot. */
  #reservedBytes = 0;
  #sequence = 0;
  /** Failed passes per file name (reading failed); in memory only. */
  readonly #failures = new Map<string, number>();
  /**
   * Files on which the store threw last: tried after the others, so that a store error tied to
   * one file (a bug, a row the database chokes on) cannot hold up the whole queue.
   */
  readonly #deferred = new Set<string>();

  #running: Promise<ReplayReport> | undefined;
  /** Set by `stop()`: a running pass ends after its current chunk. */
  #stopping = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by `startReplay()` and `stop()`, so a callback of an older schedule never reschedules. */
  #generation = 0;
  #started = false;
  /** Folders found in the queue's folder and already warned about. */
  readonly #ignoredDirs = new Set<string>();

  constructor(options: DeadLetterQueueOptions) {
    if (options.dir === "") throw new RangeError("Cannot use an empty DLQ_DIR: name a folder");
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) {
      throw new RangeError(
        `Cannot use DLQ_MAX_BYTES as it must be a positive integer: current value is ${options.maxBytes}`,
      );
    }
    const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1024) {
      throw new RangeError(
        `Cannot use DLQ_MAX_FILE_BYTES as it must be an integer of at least 1024: current value is ${maxFileBytes}`,
      );
    }
    const chunkRows = options.replayChunkRows ?? DEFAULT_CHUNK_ROWS;
    if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) {
      throw new RangeError(
        `Cannot replay the DLQ in chunks as the rows per chunk must be a positive integer: current value is ${chunkRows}`,
      );
    }
    this.#dir = options.dir;
    this.#quarantineDir = join(options.dir, QUARANTINE_DIR);
    this.#maxBytes = options.maxBytes;
    this.#maxFileBytes = maxFileBytes;
    this.#chunkRows = chunkRows;
    this.#log = options.logger.with({ module: "dlq" });
    this.#observer = options.observer;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Creates the folder and `quarantine/`, deletes temp files of writes a crash interrupted (they
   * were never acknowledged; nor were the refused items being quarantined, whose source file is
   * still there), and counts the waiting files. Reads no file. Idempotent; `write()` and
   * `replayOnce()` call it too.
   */
  init(): Promise<void> {
    this.#ready ??= this.#init().catch((error) => {
      this.#ready = undefined; // let a later call retry, e.g. once the folder is fixed
      throw error;
    });
    return this.#ready;
  }

  async #init(): Promise<void> {
    try {
      await makeDirsDurably(this.#quarantineDir);
      let removed = 0;
      for await (const entry of Deno.readDir(this.#dir)) {
        if (!entry.isFile) continue;
        const path = join(this.#dir, entry.name);
        if (TEMP_NAME.test(entry.name)) {
          await removeIfPresent(path);
          removed++;
        } else if (BATCH_NAME.test(entry.name) && !this.#files.has(entry.name)) {
          this.#track(entry.name, (await Deno.stat(path)).size);
        }
      }
      if (removed > 0) await syncDir(this.#dir);
      let removedRefused = 0;
      for await (const entry of Deno.readDir(this.#quarantineDir)) {
        if (entry.isFile && REFUSED_TEMP_NAME.test(entry.name)) {
          await removeIfPresent(join(this.#quarantineDir, entry.name));
          removedRefused++;
        }
      }
      if (removedRefused > 0) await syncDir(this.#quarantineDir);
      this.#log.info("dead-letter queue ready", {
        dir: this.#dir,
        files: this.#files.size,
        bytes: this.#bytes,
        removedTempFiles: removed + removedRefused,
      });
    } catch (error) {
      const reason = errorMessage(error);
      throw new Error(`Cannot prepare the dead-letter queue folder ${this.#dir}: ${reason}`, {
        cause: error,
      });
    }
  }

  /** Number of batch files waiting (the `argus_dlq_size` gauge). */
  size(): number {
    return this.#files.size;
  }

  /** Total bytes of the batch files waiting. */
  bytes(): number {
    return this.#bytes;
  }

  #track(name: string, bytes: number): void {
    this.#bytes += bytes - (this.#files.get(name) ?? 0);
    this.#files.set(name, bytes);
  }

  #forget(name: string): void {
    this.#bytes -= this.#files.get(name) ?? 0;
    this.#files.delete(name);
    this.#failures.delete(name);
    this.#deferred.delete(name);
  }

  /**
   * `batch_{unix ms, 13 digits}_{sequence, 6 digits}_{8 random hex}.json`: sorting names gives
   * oldest first; the random part keeps names apart if two processes share the folder by mistake
   * (a rename would silently replace an existing file).
   */
  #nextName(ms: number): string {
    this.#sequence = (this.#sequence + 1) % 1_000_000;
    const millis = String(Math.max(0, Math.floor(ms))).padStart(13, "0");
    return `batch_${millis}_${String(this.#sequence).padStart(6, "0")}_${randomHex()}.json`;
  }

  /**
   * Writes `batch` to new files (one, or several of at most `maxFileBytes` each when it is
   * larger) and resolves with the name of its file (names joined by ", " when split) once every
   * file and its folder entry are on disk, so the caller may then acknowledge. Rejects with
   * `DlqFullError` when the queue would exceed `maxBytes`, with `RowTooLargeError` when a single
   * row cannot fit in a file, with `TypeError` for a malformed batch, and with an `Error` naming
   * the folder for any file-system failure (disk full, read-only, missing permissions); then no
   * file of this batch is left behind and nothing may be acknowledged.
   */
  async write(batch: Batch): Promise<string> {
    let reserved = 0;
    try {
      await this.init();
      const createdAt = this.#now();
      const files = encodeDlqFiles(batch, new Date(createdAt), this.#maxFileBytes);
      const size = files.reduce((sum, bytes) => sum + bytes.length, 0);
      if (this.#bytes + this.#reservedBytes + size > this.#maxBytes) {
        throw new DlqFullError(
          `Cannot write a batch to the dead-letter queue in ${this.#dir} as it would exceed ` +
            `DLQ_MAX_BYTES (${this.#maxBytes} bytes): the queue holds ${this.#bytes} bytes in ` +
            `${this.#files.size} files and the batch needs ${size} more`,
        );
      }
      this.#reservedBytes += size;
      reserved = size;
      const names = files.map(() => this.#nextName(createdAt));
      try {
        await this.#writeDurably(names, files);
      } catch (error) {
        throw new Error(
          `Cannot write a batch to the dead-letter queue folder ${this.#dir}: ${
            errorMessage(error)
          }`,
          { cause: error },
        );
      }
      names.forEach((name, i) => this.#track(name, files[i]!.length));
      this.counters.written += names.length;
      this.#observe((observer) => observer.dlqWrite?.("ok"));
      this.#log.debug("batch written to the dead-letter queue", {
        files: names,
        spans: batch.spans.length,
        logs: batch.logs.length,
        bytes: size,
        waitingFiles: this.#files.size,
      });
      return names.join(", ");
    } catch (error) {
      // Not logged here: the caller turns the error into a retryable answer and reports it.
      this.counters.writeFailures++;
      const outcome = error instanceof DlqFullError ? "full" : "error";
      this.#observe((observer) => observer.dlqWrite?.(outcome));
      throw error;
    } finally {
      this.#reservedBytes -= reserved;
    }
  }

  /**
   * Each file: temp file → fsync → rename; then one fsync of the folder for all of them. On
   * failure removes every file it wrote.
   */
  async #writeDurably(names: string[], files: Uint8Array[]): Promise<void> {
    const written: string[] = [];
    try {
      for (const [i, name] of names.entries()) {
        const path = join(this.#dir, name);
        const temp = `${path}.tmp`;
        // `createNew`: never write into someone else's file. If this fails there is nothing to undo.
        const file = await Deno.open(temp, { write: true, createNew: true });
        written.push(temp);
        try {
          await writeAll(file, files[i]!);
          await file.sync();
        } finally {
          file.close();
        }
        await Deno.rename(temp, path);
        written[written.length - 1] = path;
      }
      await syncDir(this.#dir);
    } catch (error) {
      // The caller will not acknowledge, so nothing of this batch stays. (Were the renamed files
      // kept after a failed folder fsync, their replay would only duplicate the client's retry,
      // which the store skips; removing them keeps size() and the counters honest.)
      for (const path of written) {
        await removeIfPresent(path).catch((cleanup) =>
          this.#log.error("cannot remove the file of a failed write", {
            file: path,
            error: cleanup,
          })
        );
      }
      throw error;
    }
  }

  /**
   * One replay pass over the waiting files, oldest first. A call while a pass runs joins it (and
   * gets its report; the `store` of the later call is not used).
   */
  replayOnce(store: Pick<Store, "write">): Promise<ReplayReport> {
    if (this.#running !== undefined) return this.#running;
    const pass = this.#pass(store).finally(() => {
      this.#running = undefined;
    });
    this.#running = pass;
    return pass;
  }

  async #pass(store: Pick<Store, "write">): Promise<ReplayReport> {
    await this.init();
    // Again each pass, in case an operator removed it while we ran.
    await makeDirsDurably(this.#quarantineDir);
    const report: ReplayReport = {
      replayedFiles: 0,
      storedSpans: 0,
      storedLogs: 0,
      storedMetrics: 0,
      duplicateItems: 0,
      rejectedItems: 0,
      quarantinedFiles: 0,
      keptFiles: 0,
      storeFailed: false,
    };
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(this.#dir)) entries.push(entry);
    await this.#reconcile(entries);

    // Folders are never moved: the folder may be a mount point with its `lost+found`, and a
    // folder is nothing this queue writes, so it cannot hold an acknowledged batch.
    for (const entry of entries) {
      if (
        entry.isDirectory && entry.name !== QUARANTINE_DIR && !this.#ignoredDirs.has(entry.name)
      ) {
        this.#ignoredDirs.add(entry.name);
        this.#log.warn("a folder inside the dead-letter queue folder is left alone", {
          dir: this.#dir,
          folder: entry.name,
        });
      }
    }
    const files = entries.filter((e) => !e.isDirectory);

    // Files that need no store first, so that an unavailable store does not hold them up: foreign
    // files, and batch files too large to read (by the size the folder listing was counted with;
    // `#replayFile` checks again on the open file).
    const batches: Deno.DirEntry[] = [];
    for (const entry of files) {
      if (this.#stopping) break;
      const { name } = entry;
      if (TEMP_NAME.test(name)) continue;
      if (!BATCH_NAME.test(name)) {
        await this.#quarantine(name, "not a DLQ batch file", report);
      } else if (entry.isFile && (this.#files.get(name) ?? 0) > this.#maxFileBytes) {
        await this.#quarantine(name, this.#tooLarge(this.#files.get(name)!), report);
      } else {
        batches.push(entry);
      }
    }

    const order = (a: Deno.DirEntry, b: Deno.DirEntry) =>
      Number(this.#deferred.has(a.name)) - Number(this.#deferred.has(b.name)) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    batches.sort(order);
    let deleted = false;
    for (let i = 0; i < batches.length; i++) {
      const entry = batches[i]!;
      if (this.#stopping) {
        report.keptFiles += batches.length - i;
        break;
      }
      const outcome = entry.isFile
        ? await this.#replayFile(entry.name, store, report)
        : await this.#quarantine(entry.name, "not a regular file", report);
      if (outcome === "replayed") deleted = true;
      if (outcome === "kept") report.keptFiles++;
      if (outcome === "storeFailed" || outcome === "stopped") {
        report.keptFiles += batches.length - i;
        report.storeFailed = outcome === "storeFailed";
        break;
      }
    }
    // One folder fsync for all deletions of the pass: a deletion lost to a crash only means a
    // replay the store answers with duplicates, so it need not be durable file by file.
    if (deleted) await syncDir(this.#dir);

    const fields = { ...report, waitingFiles: this.#files.size };
    if (report.replayedFiles + report.quarantinedFiles + report.keptFiles > 0) {
      this.#log.info("dead-letter replay pass done", fields);
    } else {
      this.#log.debug("dead-letter replay pass done", fields);
    }
    return report;
  }

  #tooLarge(size: number): string {
    return `the file is ${size} bytes, over DLQ_MAX_FILE_BYTES (${this.#maxFileBytes} bytes), ` +
      `so it was not read; to replay it, raise DLQ_MAX_FILE_BYTES and move it back into ${this.#dir}`;
  }

  /** Brings the in-memory sizes in line with the folder (files an operator added or removed). */
  async #reconcile(entries: Deno.DirEntry[]): Promise<void> {
    const listed = new Set<string>();
    for (const entry of entries) {
      if (!entry.isFile || !BATCH_NAME.test(entry.name)) continue;
      listed.add(entry.name);
      if (!this.#files.has(entry.name)) {
        try {
          this.#track(entry.name, (await Deno.stat(join(this.#dir, entry.name))).size);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
    }
    // A file absent from the listing may have been written after it was taken: ask the disk.
    for (const name of [...this.#files.keys()]) {
      if (!listed.has(name) && !(await exists(join(this.#dir, name)))) this.#forget(name);
    }
  }

  /**
   * Stores one file chunk by chunk; deletes it once every item is stored or written to
   * `quarantine/` as refused.
   */
  async #replayFile(
    name: string,
    store: Pick<Store, "write">,
    report: ReplayReport,
  ): Promise<FileOutcome> {
    const path = join(this.#dir, name);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        this.#forget(name);
        return "gone";
      }
      return await this.#failed(name, `the file cannot be read: ${errorMessage(error)}`, report);
    }
    const refused = new RefusedItems(this.#quarantineDir, name, new Date(this.#now()));
    const totals = { storedSpans: 0, storedLogs: 0, storedMetrics: 0, duplicateItems: 0 };
    let failure: unknown;
    try {
      const size = (await file.stat()).size;
      this.#track(name, size);
      if (size > this.#maxFileBytes) failure = new InvalidDlqFileError(this.#tooLarge(size));
      else {await this.#storeChunks(
          readDlqFile(file, this.#maxFileBytes),
          store,
          refused,
          totals,
          report,
        );}
    } catch (error) {
      failure = error;
    } finally {
      file.close();
    }

    if (failure !== undefined) {
      await refused.discard().catch((error) =>
        this.#log.error("cannot remove a temp file in quarantine/", { file: refused.temp, error })
      );
      if (failure instanceof Stopped) return "stopped";
      if (failure instanceof StoreFailure) {
        this.#deferred.add(name);
        this.#log.warn(
          "dead-letter replay paused: the store failed, so every file is kept for a later pass",
          { file: name, waitingFiles: this.#files.size, error: failure.error },
        );
        return "storeFailed";
      }
      if (failure instanceof RefusedWriteFailure) {
        this.#log.error(
          "cannot write items the store refused to quarantine/; their file is kept for the next pass",
          { file: name, error: failure.error },
        );
        return "kept";
      }
      if (failure instanceof InvalidDlqFileError) {
        const stored = totals.storedSpans + totals.storedLogs + totals.storedMetrics +
          totals.duplicateItems;
        return await this.#quarantine(
          name,
          stored === 0 ? failure.message : `${failure.message} (the ${stored} items before it ` +
            `were stored; replaying the file again would store none of them twice)`,
          report,
        );
      }
      return await this.#failed(name, `the file cannot be read: ${errorMessage(failure)}`, report);
    }

    let quarantinedAs: string | undefined;
    if (refused.total > 0) {
      try {
        quarantinedAs = await this.#keepRefused(refused);
      } catch (error) {
        await refused.discard().catch(() => {});
        this.#log.error(
          "cannot write items the store refused to quarantine/; their file is kept for the next pass",
          { file: name, error },
        );
        return "kept";
      }
    }
    const rejected = refused.total;
    report.replayedFiles++;
    report.rejectedItems += rejected;
    this.counters.replayedFiles++;
    this.counters.rejectedItems += rejected;
    this.#observe((observer) => observer.dlqReplayedFile?.({ ...totals, rejectedItems: rejected }));
    if (rejected > 0) {
      this.#log.warn(
        "dead-letter replay: the store refused items for their content; they are quarantined",
        {
          file: name,
          quarantinedAs,
          spans: refused.counts.spans,
          logs: refused.counts.logs,
          metrics: refused.counts.metrics,
          reasons: refused.listed.slice(0, LOGGED_REJECTIONS),
        },
      );
    }
    try {
      await removeIfPresent(path);
      this.#forget(name);
    } catch (error) {
      // Stays in the queue; the next pass replays it again and the store skips its rows.
      this.#log.error("cannot delete a replayed dead-letter file", { file: name, error });
    }
    return "replayed";
  }

  /**
   * Reads records and stores them `#chunkRows` rows (or `CHUNK_BYTES` line bytes) at a time, each
   * chunk with the resources its rows reference; writes the refused items to `refused`. Throws
   * `StoreFailure`, `RefusedWriteFailure`, `Stopped`, or what reading threw.
   */
  async #storeChunks(
    records: AsyncIterable<DlqRecord>,
    store: Pick<Store, "write">,
    refused: RefusedItems,
    totals: {
      storedSpans: number;
      storedLogs: number;
      storedMetrics: number;
      duplicateItems: number;
    },
    report: ReplayReport,
  ): Promise<void> {
    const resources = new Map<string, ResourceRow>();
    let spans: SpanRow[] = [];
    let logs: LogRow[] = [];
    let metrics: MetricPointRow[] = [];
    let bytes = 0;
    /** Index in the file of the chunk's first span, log and point (for the refusal reasons). */
    let spanBase = 0;
    let logBase = 0;
    let metricBase = 0;

    const flush = async () => {
      if (spans.length + logs.length + metrics.length === 0) return;
      // stop() ends the pass here, between chunks; a file whose last chunk was stored completes.
      if (this.#stopping) throw new Stopped();
      const ids = new Set<string>();
      for (const row of spans) ids.add(row.resourceId);
      for (const row of logs) ids.add(row.resourceId);
      for (const row of metrics) ids.add(row.instrument.resourceId);
      const chunk: Batch = {
        resources: [...ids].flatMap((id) => resources.get(id) ?? []),
        spans,
        logs,
      };
      if (metrics.length > 0) chunk.metrics = metrics;
      const started = performance.now();
      let result: WriteResult;
      try {
        result = await store.write(chunk);
        this.#observeWrite(started, "ok");
      } catch (error) {
        this.#observeWrite(
          started,
          error instanceof StoreUnavailableError ? "unavailable" : "error",
        );
        throw new StoreFailure(error);
      }
      const storedMetrics = result.metrics?.inserted ?? 0;
      const duplicates = result.spans.duplicates + result.logs.duplicates +
        (result.metrics?.duplicates ?? 0);
      totals.storedSpans += result.spans.inserted;
      totals.storedLogs += result.logs.inserted;
      totals.storedMetrics += storedMetrics;
      totals.duplicateItems += duplicates;
      report.storedSpans += result.spans.inserted;
      report.storedLogs += result.logs.inserted;
      report.storedMetrics += storedMetrics;
      report.duplicateItems += duplicates;
      try {
        for (const { index, reason } of result.spans.rejected) {
          const row = spans[index]!;
          await refused.add("span", row, spanBase + index, reason, resources.get(row.resourceId));
        }
        for (const { index, reason } of result.logs.rejected) {
          const row = logs[index]!;
          await refused.add("log", row, logBase + index, reason, resources.get(row.resourceId));
        }
        for (const { index, reason } of result.metrics?.rejected ?? []) {
          const row = metrics[index]!;
          const resource = resources.get(row.instrument.resourceId);
          await refused.add("metric", row, metricBase + index, reason, resource);
        }
      } catch (error) {
        throw new RefusedWriteFailure(error);
      }
      spanBase += spans.length;
      logBase += logs.length;
      metricBase += metrics.length;
      spans = [];
      logs = [];
      metrics = [];
      bytes = 0;
      // Between chunks: let requests be answered.
      await yieldToEventLoop();
    };

    for await (const record of records) {
      if (record.kind === "resource") {
        if (!resources.has(record.row.id)) resources.set(record.row.id, record.row);
        continue;
      }
      if (record.kind === "span") spans.push(record.row);
      else if (record.kind === "log") logs.push(record.row);
      else metrics.push(record.row);
      bytes += record.bytes;
      const rows = spans.length + logs.length + metrics.length;
      if (rows >= this.#chunkRows || bytes >= CHUNK_BYTES) await flush();
    }
    await flush();
  }

  /**
   * Makes the refused items durable in `quarantine/` beside a `.reason.txt`: temp file fsync'd →
   * renamed → reason written → folder fsync'd. Answers the file's name there.
   */
  async #keepRefused(refused: RefusedItems): Promise<string> {
    await refused.finish();
    const base = refusedBase(refused.source);
    let target = `${base}.json`;
    for (let n = 1; await this.#quarantineTaken(target); n++) target = `${base}.${n}.json`;
    const path = join(this.#quarantineDir, target);
    await Deno.rename(refused.temp, path);
    try {
      await this.#describeRefused(refused, target);
    } catch (error) {
      // The source file stays and a later pass quarantines its refused items again: one copy.
      await removeIfPresent(path).catch(() => {});
      throw error;
    }
    return join(QUARANTINE_DIR, target);
  }

  /** The `.reason.txt` of a file of refused items, fsync'd with the folder. */
  async #describeRefused(refused: RefusedItems, target: string): Promise<void> {
    const { spans, logs, metrics } = refused.counts;
    const more = refused.total - refused.listed.length;
    const text =
      `file: ${refused.source}\nquarantined at: ${
        new Date(this.#now()).toISOString()
      }\nreason: the store refused ${refused.total} items of it for their own content ` +
      `(${spans} spans, ${logs} logs${
        metrics > 0 ? `, ${metrics} metric points` : ""
      }); they are in ${target}, each line with its reason, and ` +
      `the other items were stored. Fix or remove them there; moving the file back into ` +
      `${this.#dir} replays it.\nitems (index in the file):\n${
        refused.listed.map((line) => `  ${line}\n`).join("")
      }${more > 0 ? `  … and ${more} more\n` : ""}`;
    await writeNewFile(
      join(this.#quarantineDir, `${target}.reason.txt`),
      new TextEncoder().encode(text),
    );
    await syncDir(this.#quarantineDir);
  }

  #observeWrite(started: number, outcome: "ok" | "unavailable" | "error"): void {
    const seconds = (performance.now() - started) / 1000;
    this.#observe((observer) => observer.dlqStoreWrite?.(seconds, outcome));
  }

  /** Calls a hook of the observer, if any; a failing hook must not fail the queue. */
  #observe(call: (observer: DeadLetterObserver) => void): void {
    if (this.#observer === undefined) return;
    try {
      call(this.#observer);
    } catch (error) {
      this.#log.warn("a self-monitoring hook failed", { error });
    }
  }

  /** A pass in which reading `name` failed; quarantined at the `MAX_FAILED_PASSES`-th. */
  async #failed(name: string, reason: string, report: ReplayReport): Promise<FileOutcome> {
    const failures = (this.#failures.get(name) ?? 0) + 1;
    if (failures >= MAX_FAILED_PASSES) {
      return await this.#quarantine(
        name,
        `replay failed in ${failures} passes; last error: ${reason}`,
        report,
      );
    }
    this.#failures.set(name, failures);
    this.#log.error("dead-letter replay failed; the file is kept for the next pass", {
      file: name,
      failedPasses: failures,
      quarantinedAfter: MAX_FAILED_PASSES,
      error: reason,
    });
    return "kept";
  }

  /**
   * Moves `name` to `quarantine/` with a `.reason.txt` beside it. The reason is written first, so a
   * quarantined file always has one; an existing quarantined file of the same name is never
   * overwritten. If the move fails, the file stays (and is tried again next pass).
   */
  async #quarantine(name: string, reason: string, report: ReplayReport): Promise<FileOutcome> {
    const source = join(this.#dir, name);
    let reasonPath: string | undefined;
    try {
      let target = name;
      for (let n = 1; await this.#quarantineTaken(target); n++) target = `${name}.${n}`;
      reasonPath = join(this.#quarantineDir, `${target}.reason.txt`);
      const text = `file: ${name}\nquarantined at: ${
        new Date(this.#now()).toISOString()
      }\nreason: ${reason}\n`;
      await writeNewFile(reasonPath, new TextEncoder().encode(text));
      await Deno.rename(source, join(this.#quarantineDir, target));
      await syncDir(this.#quarantineDir);
      await syncDir(this.#dir);
      this.#forget(name);
      report.quarantinedFiles++;
      this.counters.quarantinedFiles++;
      this.#observe((observer) => observer.dlqQuarantined?.());
      this.#log.warn("dead-letter file quarantined", {
        file: name,
        quarantinedAs: join(QUARANTINE_DIR, target),
        reason,
      });
      return "quarantined";
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && !(await exists(source))) {
        // Gone meanwhile (an operator moved it): nothing to quarantine, drop the orphan reason.
        if (reasonPath !== undefined) await removeIfPresent(reasonPath).catch(() => {});
        this.#forget(name);
        return "gone";
      }
      if (reasonPath !== undefined) await removeIfPresent(reasonPath).catch(() => {});
      this.#log.error("cannot quarantine a dead-letter file; it stays in place", {
        file: name,
        reason,
        error,
      });
      return "kept";
    }
  }

  async #quarantineTaken(target: string): Promise<boolean> {
    return await exists(join(this.#quarantineDir, target)) ||
      await exists(join(this.#quarantineDir, `${target}.reason.txt`));
  }

  /**
   * Replays every `intervalMs` (`DLQ_REPLAY_INTERVAL`), counted from the end of the previous pass
   * so passes never pile up. After a pass the store failed (or that failed itself), the wait
   * doubles, up to `MAX_BACKOFF_MS` or the interval, whichever is longer: a database away or
   * read-only for an hour costs one cheap write attempt per wait, and a short interval does not
   * turn into a tight loop. Errors are logged, never thrown out of the timer. The timer does not
   * keep the process alive; `stop()` ends it.
   */
  startReplay(store: Pick<Store, "write">, intervalMs: number): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(
        `Cannot start the DLQ replay as the interval must be a positive number of milliseconds: current value is ${intervalMs}`,
      );
    }
    if (this.#started) throw new Error("Cannot start the DLQ replay: it is already started");
    this.#started = true;
    const generation = ++this.#generation;
    let failedPasses = 0;
    const schedule = (delayMs: number) => {
      const timer = setTimeout(async () => {
        this.#timer = undefined;
        let failed = true;
        try {
          failed = (await this.replayOnce(store)).storeFailed;
        } catch (error) {
          this.#log.error("dead-letter replay pass failed", { dir: this.#dir, error });
        }
        failedPasses = failed ? failedPasses + 1 : 0;
        if (generation === this.#generation) schedule(replayDelayMs(intervalMs, failedPasses));
      }, delayMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    };
    schedule(intervalMs);
  }

  /** Stops the timer; a running pass ends after its current chunk, and this waits for it. */
  async stop(): Promise<void> {
    this.#generation++;
    this.#started = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const running = this.#running;
    if (running === undefined) return;
    this.#stopping = true;
    try {
      await running.catch(() => {}); // its error was logged (timer) or given to its caller
    } finally {
      this.#stopping = false;
    }
  }
}
