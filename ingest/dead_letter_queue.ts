/**
 * The dead-letter queue (DLQ): batches the database could not take are written to files, and a
 * replay worker stores them later. The batcher acknowledges clients only after `write()` resolves,
 * so the write is atomic and durable: a temp file in the same folder, fsync'd, renamed to its
 * final name, then the folder fsync'd.
 *
 * Invariants this module keeps:
 * - An acknowledged batch stays on disk until the store has committed it (or refused its items
 *   for good), or until it is quarantined; it is never deleted otherwise.
 * - Replaying is safe to repeat: the store skips rows it already holds, so a file replayed twice
 *   (a crash after the commit, before the delete) stores its items once.
 * - A file that cannot be read as one of ours is moved to `quarantine/` beside a `.reason.txt`,
 *   once; a file the store keeps failing on is quarantined after `MAX_FAILED_PASSES` passes.
 *
 * File format (version 1), one JSON document per file:
 * `{"format":"argus-dlq","version":1,"createdAt":"<ISO 8601>","spans":n,"logs":n,"batch":{...}}`
 * where `batch` holds exactly the fields of `ResourceRow`, `SpanRow` and `LogRow`, and the int64
 * nanosecond times are decimal strings (a JSON number loses precision past 2^53).
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { StoreUnavailableError } from "../store/mod.ts";
import type { Batch, LogRow, ResourceRow, SpanRow, Store, WriteResult } from "../store/mod.ts";
import type { Logger } from "../lib/logger.ts";

export interface DeadLetterQueueOptions {
  /** `DLQ_DIR`, e.g. `./data/dlq`; created if missing. */
  dir: string;
  /** Total bytes of waiting batch files beyond which `write()` refuses with `DlqFullError`. */
  maxBytes: number;
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
   * One `store.write` of the replay worker took `seconds` (monotonic clock) and ended so:
   * `unavailable` is `StoreUnavailableError`.
   */
  dlqStoreWrite?(seconds: number, outcome: "ok" | "unavailable" | "error"): void;
  /** One file's batch was stored (its file is then deleted). */
  dlqReplayedFile?(file: {
    storedSpans: number;
    storedLogs: number;
    duplicateItems: number;
    rejectedItems: number;
  }): void;
  /** One file was moved to `quarantine/`. */
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
  /** Files whose batch the store committed (their files are deleted). */
  replayedFiles: number;
  /** Items newly stored by this pass. */
  storedSpans: number;
  storedLogs: number;
  /** Items the store already held (an earlier replay or a client retry stored them). */
  duplicateItems: number;
  /** Items the store refused for their content; they can never be stored, so they are dropped. */
  rejectedItems: number;
  /** Files moved to `quarantine/` by this pass. */
  quarantinedFiles: number;
  /**
   * Batch files this pass left in place for a later one: the store was unavailable, the store
   * failed on them (retried up to `MAX_FAILED_PASSES` passes), or `stop()` ended the pass early.
   */
  keptFiles: number;
}

/** Running totals since the queue was created, for self-metrics. */
export interface DlqCounters {
  written: number;
  /** Every `write()` that rejected, `DlqFullError` included. */
  writeFailures: number;
  replayedFiles: number;
  quarantinedFiles: number;
  rejectedItems: number;
}

const FORMAT = "argus-dlq";
const VERSION = 1;
const QUARANTINE_DIR = "quarantine";
/** Names that are (or claim to be) batch files; their content decides whether they are ours. */
const BATCH_NAME = /^batch_.+\.json$/;
/** Temp files of writes in progress, or of writes a crash interrupted (never acknowledged). */
const TEMP_NAME = /^batch_.+\.json\.tmp$/;
/** Passes a file may fail in (other than "store unavailable") before it is quarantined. */
export const MAX_FAILED_PASSES = 3;
/** Rejection reasons written to the log per file; the rest are only counted. */
const LOGGED_REJECTIONS = 5;
const INT64_MAX = (1n << 63n) - 1n;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

// --- the file format -----------------------------------------------------------------------------

type FieldKind<T> = T extends bigint ? "time" : T extends number ? "number"
: T extends string ? "text"
: never;
/** Every field of a row with its kind; typed so that a field added to a row type fails here. */
type Fields<Row> = { readonly [K in keyof Row]-?: FieldKind<Row[K]> };

const RESOURCE_FIELDS: Fields<ResourceRow> = {
  id: "text",
  serviceName: "text",
  attributes: "text",
  droppedAttributesCount: "number",
  schemaUrl: "text",
};

const SPAN_FIELDS: Fields<SpanRow> = {
  traceId: "text",
  spanId: "text",
  parentSpanId: "text",
  traceState: "text",
  name: "text",
  kind: "number",
  startTimeUnixNano: "time",
  endTimeUnixNano: "time",
  statusCode: "number",
  statusMessage: "text",
  resourceId: "text",
  serviceName: "text",
  scopeName: "text",
  scopeVersion: "text",
  scopeAttributes: "text",
  attributes: "text",
  events: "text",
  links: "text",
  droppedAttributesCount: "number",
  droppedEventsCount: "number",
  droppedLinksCount: "number",
  flags: "number",
};

const LOG_FIELDS: Fields<LogRow> = {
  id: "text",
  timeUnixNano: "time",
  observedTimeUnixNano: "time",
  severityNumber: "number",
  severityText: "text",
  body: "text",
  bodyType: "text",
  eventName: "text",
  traceId: "text",
  spanId: "text",
  flags: "number",
  resourceId: "text",
  serviceName: "text",
  scopeName: "text",
  scopeVersion: "text",
  scopeAttributes: "text",
  attributes: "text",
  droppedAttributesCount: "number",
};

const HEADER_KEYS = ["format", "version", "createdAt", "spans", "logs", "batch"] as const;
const BATCH_KEYS = ["resources", "spans", "logs"] as const;

/** Content that is not a valid DLQ file of this version: quarantine it, never retry it. */
class InvalidFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidFileError";
  }
}

/** A value as an error message shows it: strings quoted and cut short, objects by their kind. */
function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Row → plain JSON object with exactly the row's fields, times as decimal strings. Checks kinds as
 * it goes: a malformed batch is a bug of the caller, better refused now than acknowledged and then
 * quarantined.
 */
function encodeRow<Row>(row: Row, fields: Fields<Row>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(fields) as [string, string][]) {
    const value = (row as Record<string, unknown>)[key];
    const ok = kind === "time"
      ? typeof value === "bigint" && value >= 0n && value <= INT64_MAX
      : kind === "number"
      ? typeof value === "number" && Number.isFinite(value)
      : typeof value === "string";
    if (!ok) {
      throw new TypeError(
        `Cannot write ${where}.${key} to the dead-letter queue as it must be ${
          kindText(kind)
        }: current value is ${describe(value)}`,
      );
    }
    out[key] = kind === "time" ? (value as bigint).toString() : value;
  }
  return out;
}

function kindText(kind: string): string {
  return kind === "time"
    ? "a bigint from 0 to 2^63-1"
    : kind === "number"
    ? "a finite number"
    : "a string";
}

function decodeRow<Row>(value: unknown, fields: Fields<Row>, where: string): Row {
  if (!isRecord(value)) {
    throw new InvalidFileError(`${where} must be an object: it is ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(fields, key)) {
      throw new InvalidFileError(`${where} has an unknown field "${key}"`);
    }
  }
  const row: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(fields) as [string, string][]) {
    if (!Object.hasOwn(value, key)) throw new InvalidFileError(`${where}.${key} is missing`);
    const field = value[key];
    if (kind === "time") {
      if (typeof field !== "string" || !DECIMAL.test(field) || BigInt(field) > INT64_MAX) {
        throw new InvalidFileError(
          `${where}.${key} must be a decimal string of an integer from 0 to 2^63-1: ` +
            `current value is ${describe(field)}`,
        );
      }
      row[key] = BigInt(field);
    } else if (kind === "number" ? typeof field !== "number" : typeof field !== "string") {
      throw new InvalidFileError(
        `${where}.${key} must be ${kind === "number" ? "a number" : "a string"}: ` +
          `current value is ${describe(field)}`,
      );
    } else {
      row[key] = field;
    }
  }
  return row as Row;
}

function decodeRows<Row>(value: unknown, fields: Fields<Row>, where: string): Row[] {
  if (!Array.isArray(value)) {
    throw new InvalidFileError(`${where} must be an array: it is ${describe(value)}`);
  }
  return value.map((item, i) => decodeRow(item, fields, `${where}[${i}]`));
}

function checkKeys(value: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new InvalidFileError(`${where} has an unknown field "${key}"`);
  }
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) throw new InvalidFileError(`${where}.${key} is missing`);
  }
}

/** The bytes of a DLQ file holding `batch`. */
export function encodeDlqFile(batch: Batch, createdAt: Date): Uint8Array {
  const document = {
    format: FORMAT,
    version: VERSION,
    createdAt: createdAt.toISOString(),
    spans: batch.spans.length,
    logs: batch.logs.length,
    batch: {
      resources: batch.resources.map((r, i) => encodeRow(r, RESOURCE_FIELDS, `resources[${i}]`)),
      spans: batch.spans.map((s, i) => encodeRow(s, SPAN_FIELDS, `spans[${i}]`)),
      logs: batch.logs.map((l, i) => encodeRow(l, LOG_FIELDS, `logs[${i}]`)),
    },
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * The batch of a DLQ file. Strict: anything but exactly the shape `encodeDlqFile` writes throws
 * `InvalidFileError` naming the first problem. Values are checked for their kind only; whether a
 * value can be stored (id shapes, ranges, widths) is the store's call, item by item, so one bad
 * item does not quarantine its neighbours.
 */
export function decodeDlqFile(bytes: Uint8Array): Batch {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InvalidFileError("the file is not valid UTF-8");
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidFileError(
      `the file is not valid JSON (truncated or corrupt): ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  if (!isRecord(document) || document.format !== FORMAT) {
    throw new InvalidFileError(
      `the file is not an Argus dead-letter batch: "format" must be "${FORMAT}", current value is ${
        describe(isRecord(document) ? document.format : document)
      }`,
    );
  }
  if (document.version !== VERSION) {
    throw new InvalidFileError(
      `the file has format version ${
        describe(document.version)
      }: this Argus reads version ${VERSION}`,
    );
  }
  checkKeys(document, HEADER_KEYS, "the file");
  if (typeof document.createdAt !== "string" || Number.isNaN(Date.parse(document.createdAt))) {
    throw new InvalidFileError(
      `createdAt must be an ISO 8601 time: current value is ${describe(document.createdAt)}`,
    );
  }
  const batch = document.batch;
  if (!isRecord(batch)) {
    throw new InvalidFileError(`batch must be an object: it is ${describe(batch)}`);
  }
  checkKeys(batch, BATCH_KEYS, "batch");
  const decoded: Batch = {
    resources: decodeRows(batch.resources, RESOURCE_FIELDS, "batch.resources"),
    spans: decodeRows(batch.spans, SPAN_FIELDS, "batch.spans"),
    logs: decodeRows(batch.logs, LOG_FIELDS, "batch.logs"),
  };
  // The counts in the header guard against a document cut short and then "repaired".
  if (document.spans !== decoded.spans.length || document.logs !== decoded.logs.length) {
    throw new InvalidFileError(
      `the header counts ${describe(document.spans)} spans and ${
        describe(document.logs)
      } logs but the batch holds ${decoded.spans.length} and ${decoded.logs.length}`,
    );
  }
  return decoded;
}

// --- file system helpers -------------------------------------------------------------------------

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Makes the folder's entries (a rename, a new or deleted file) durable. Linux and macOS fsync an
 * open directory; Windows cannot open one as a file, and NTFS journals metadata itself, so only
 * there the failure to open is ignored.
 */
async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(dir, { read: true });
  } catch (error) {
    if (Deno.build.os === "windows" && error instanceof Deno.errors.PermissionDenied) return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * `mkdir -p` whose new folders survive a crash: the folder entry of each one is fsync'd in its
 * parent (files fsync'd inside a folder whose own entry is lost are lost with it).
 */
async function makeDirsDurably(dir: string): Promise<void> {
  const created: string[] = [];
  for (let path = resolve(dir); !(await exists(path)); path = dirname(path)) {
    created.unshift(path);
    if (dirname(path) === path) break;
  }
  if (created.length === 0) return;
  await Deno.mkdir(dir, { recursive: true });
  for (const path of created) await syncDir(dirname(path));
}

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

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

// --- the queue -----------------------------------------------------------------------------------

type FileOutcome = "replayed" | "quarantined" | "kept" | "unavailable" | "gone";

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
  /** Failed passes per file name (store errors other than "unavailable"); in memory only. */
  readonly #failures = new Map<string, number>();

  #running: Promise<ReplayReport> | undefined;
  /** Set by `stop()`: a running pass ends after its current file. */
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
    this.#dir = options.dir;
    this.#quarantineDir = join(options.dir, QUARANTINE_DIR);
    this.#maxBytes = options.maxBytes;
    this.#log = options.logger.with({ module: "dlq" });
    this.#observer = options.observer;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Creates the folder and `quarantine/`, deletes temp files of writes a crash interrupted (they
   * were never acknowledged), and counts the waiting files. Idempotent; `write()` and
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
      this.#log.info("dead-letter queue ready", {
        dir: this.#dir,
        files: this.#files.size,
        bytes: this.#bytes,
        removedTempFiles: removed,
      });
    } catch (error) {
      const reason = message(error);
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
  }

  /**
   * `batch_{unix ms, 13 digits}_{sequence, 6 digits}_{8 random hex}.json`: sorting names gives
   * oldest first; the random part keeps names apart if two processes share the folder by mistake
   * (a rename would silently replace an existing file).
   */
  #nextName(ms: number): string {
    this.#sequence = (this.#sequence + 1) % 1_000_000;
    const millis = String(Math.max(0, Math.floor(ms))).padStart(13, "0");
    const random = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, "0");
    return `batch_${millis}_${String(this.#sequence).padStart(6, "0")}_${random}.json`;
  }

  /**
   * Writes `batch` to a new file and resolves with its name once the file and its folder entry
   * are on disk, so the caller may then acknowledge. Rejects with `DlqFullError` when the queue
   * would exceed `maxBytes`, with `TypeError` for a malformed batch, and with an `Error` naming the
   * folder for any file-system failure (disk full, read-only, missing permissions); then no file
   * of this batch is left behind and nothing may be acknowledged.
   */
  async write(batch: Batch): Promise<string> {
    let reserved = 0;
    try {
      await this.init();
      const createdAt = this.#now();
      const bytes = encodeDlqFile(batch, new Date(createdAt));
      if (this.#bytes + this.#reservedBytes + bytes.length > this.#maxBytes) {
        throw new DlqFullError(
          `Cannot write a batch to the dead-letter queue in ${this.#dir} as it would exceed ` +
            `DLQ_MAX_BYTES (${this.#maxBytes} bytes): the queue holds ${this.#bytes} bytes in ` +
            `${this.#files.size} files and the batch needs ${bytes.length} more`,
        );
      }
      this.#reservedBytes += bytes.length;
      reserved = bytes.length;
      const name = this.#nextName(createdAt);
      try {
        await this.#writeDurably(name, bytes);
      } catch (error) {
        throw new Error(
          `Cannot write a batch to the dead-letter queue folder ${this.#dir}: ${message(error)}`,
          { cause: error },
        );
      }
      this.#track(name, bytes.length);
      this.counters.written++;
      this.#observe((observer) => observer.dlqWrite?.("ok"));
      this.#log.debug("batch written to the dead-letter queue", {
        file: name,
        spans: batch.spans.length,
        logs: batch.logs.length,
        bytes: bytes.length,
        waitingFiles: this.#files.size,
      });
      return name;
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

  /** temp file → fsync → rename → fsync the folder; on failure removes what it wrote. */
  async #writeDurably(name: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.#dir, name);
    const temp = `${path}.tmp`;
    // `createNew`: never write into someone else's file. If this fails there is nothing to undo.
    const file = await Deno.open(temp, { write: true, createNew: true });
    let written = temp;
    try {
      try {
        await writeAll(file, bytes);
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temp, path);
      written = path;
      await syncDir(this.#dir);
    } catch (error) {
      // The caller will not acknowledge, so nothing of this batch stays. (Were the renamed file
      // kept after a failed folder fsync, its replay would only duplicate the client's retry,
      // which the store skips; removing it keeps size() and the counters honest.)
      await removeIfPresent(written).catch((cleanup) =>
        this.#log.error("cannot remove the file of a failed write", {
          file: written,
          error: cleanup,
        })
      );
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
      duplicateItems: 0,
      rejectedItems: 0,
      quarantinedFiles: 0,
      keptFiles: 0,
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

    // Foreign files first: they need no store, so an unavailable store does not hold them up.
    for (const { name } of files) {
      if (this.#stopping) break;
      if (TEMP_NAME.test(name) || BATCH_NAME.test(name)) continue;
      await this.#quarantine(name, "not a DLQ batch file", report);
    }

    const batches = files.filter((e) => BATCH_NAME.test(e.name)).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
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
      if (outcome === "unavailable") {
        report.keptFiles += batches.length - i;
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

  async #replayFile(
    name: string,
    store: Pick<Store, "write">,
    report: ReplayReport,
  ): Promise<FileOutcome> {
    const path = join(this.#dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        this.#forget(name);
        return "gone";
      }
      return await this.#failed(name, `the file cannot be read: ${message(error)}`, report);
    }
    let batch: Batch;
    try {
      batch = decodeDlqFile(bytes);
    } catch (error) {
      return await this.#quarantine(name, message(error), report);
    }
    let result: WriteResult;
    const started = performance.now();
    try {
      result = await store.write(batch);
      this.#observeWrite(started, "ok");
    } catch (error) {
      this.#observeWrite(started, error instanceof StoreUnavailableError ? "unavailable" : "error");
      if (error instanceof StoreUnavailableError) {
        this.#log.warn("dead-letter replay paused: the store is unavailable", {
          file: name,
          waitingFiles: this.#files.size,
          error,
        });
        return "unavailable";
      }
      return await this.#failed(name, `the store failed to write it: ${message(error)}`, report);
    }

    const rejected = result.spans.rejected.length + result.logs.rejected.length;
    report.replayedFiles++;
    report.storedSpans += result.spans.inserted;
    report.storedLogs += result.logs.inserted;
    report.duplicateItems += result.spans.duplicates + result.logs.duplicates;
    report.rejectedItems += rejected;
    this.counters.replayedFiles++;
    this.counters.rejectedItems += rejected;
    this.#observe((observer) =>
      observer.dlqReplayedFile?.({
        storedSpans: result.spans.inserted,
        storedLogs: result.logs.inserted,
        duplicateItems: result.spans.duplicates + result.logs.duplicates,
        rejectedItems: rejected,
      })
    );
    if (rejected > 0) {
      // Refused for their content, they will never be accepted: log why, count them, move on.
      this.#log.warn("dead-letter replay: the store refused items, which are dropped", {
        file: name,
        spans: result.spans.rejected.length,
        logs: result.logs.rejected.length,
        reasons: [
          ...result.spans.rejected.map((r) => `span ${r.index}: ${r.reason}`),
          ...result.logs.rejected.map((r) => `log ${r.index}: ${r.reason}`),
        ].slice(0, LOGGED_REJECTIONS),
      });
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

  /** A failed pass for `name`; quarantined at the `MAX_FAILED_PASSES`-th. */
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
   * so passes never pile up. Errors are logged, never thrown out of the timer. The timer does not
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
    const schedule = () => {
      const timer = setTimeout(async () => {
        this.#timer = undefined;
        try {
          await this.replayOnce(store);
        } catch (error) {
          this.#log.error("dead-letter replay pass failed", { dir: this.#dir, error });
        }
        if (generation === this.#generation) schedule();
      }, intervalMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    };
    schedule();
  }

  /** Stops the timer; a running pass ends after its current file, and this waits for it. */
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
