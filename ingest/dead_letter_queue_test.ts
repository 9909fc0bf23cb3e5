/**
 * The dead-letter queue against real files in a temp folder and a real SQLite store: what is
 * acknowledged is stored exactly once, what is not ours is quarantined with a reason, and a
 * failing disk or store never turns into an acknowledgement or a loop.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../lib/logger.ts";
import {
  type Batch,
  createStore,
  type Store,
  StoreUnavailableError,
  type WriteResult,
} from "../store/mod.ts";
import { buildBatch, buildLog, buildResource, buildSpan } from "../tests/builders.ts";
import { databaseConfig } from "../tests/databases.ts";
import {
  DeadLetterQueue,
  type DeadLetterQueueOptions,
  decodeDlqFile,
  DlqFullError,
  encodeDlqFile,
  MAX_BACKOFF_MS,
  replayDelayMs,
  type ReplayReport,
  RowTooLargeError,
} from "./dead_letter_queue.ts";

const INT64_MAX = (1n << 63n) - 1n;
const ALL_TIME = { startNs: 0n, endNs: INT64_MAX };
const PAGE = { limit: 1000, offset: 0 };
/** 2026-11-26T10:00:00Z in milliseconds. */
const NOW_MS = 1_795_687_200_000;

interface Fixture {
  root: string;
  dir: string;
  lines: string[];
  dlq: DeadLetterQueue;
  store: Store;
  /** Another queue on the same folder, as after a restart. */
  reopen(options?: Partial<DeadLetterQueueOptions>): DeadLetterQueue;
}

async function withDlq(
  fn: (f: Fixture) => Promise<void>,
  options: Partial<DeadLetterQueueOptions> = {},
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "argus-dlq-test-" });
  const dir = join(root, "dlq");
  const lines: string[] = [];
  const logger = createLogger("debug", (_level, line) => lines.push(line));
  const open = (more: Partial<DeadLetterQueueOptions> = {}) =>
    new DeadLetterQueue({ dir, maxBytes: 64 * 1_048_576, logger, ...options, ...more });
  const dlq = open();
  const store = await createStore(databaseConfig("sqlite", "x.db"), {
    dataDir: join(root, "data"),
  });
  try {
    await store.migrate();
    await dlq.init();
    await fn({ root, dir, lines, dlq, store, reopen: open });
  } finally {
    await dlq.stop();
    await store.close();
    await Deno.remove(root, { recursive: true });
  }
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function fileBytes(dir: string, names: string[]): Promise<number> {
  let total = 0;
  for (const name of names) total += (await Deno.stat(join(dir, name))).size;
  return total;
}

function report(fields: Partial<ReplayReport>): ReplayReport {
  return {
    replayedFiles: 0,
    storedSpans: 0,
    storedLogs: 0,
    storedMetrics: 0,
    duplicateItems: 0,
    rejectedItems: 0,
    quarantinedFiles: 0,
    keptFiles: 0,
    storeFailed: false,
    ...fields,
  };
}

/** A file as Argus wrote it before version 2: one JSON document (see dlq_format.ts). */
function encodeV1(batch: Batch, createdAt = "2026-11-26T10:00:00.000Z"): string {
  const plain = (row: object) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
    );
  return JSON.stringify({
    format: "argus-dlq",
    version: 1,
    createdAt,
    spans: batch.spans.length,
    logs: batch.logs.length,
    batch: {
      resources: batch.resources.map(plain),
      spans: batch.spans.map(plain),
      logs: batch.logs.map(plain),
    },
  });
}

/** The lines of a version-2 file, parsed. */
async function fileLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  assert.ok(text.endsWith("\n"), "every line ends with a newline");
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

/** A store that records what it is given and passes it on to `inner`. */
function recordingStore(
  inner: Pick<Store, "write">,
  failAtCall?: (call: number) => Error | undefined,
) {
  const store = {
    batches: [] as Batch[],
    async write(batch: Batch): Promise<WriteResult> {
      store.batches.push(batch);
      const error = failAtCall?.(store.batches.length);
      if (error !== undefined) throw error;
      return await inner.write(batch);
    },
  };
  return store;
}

function stored(spans: number, logs: number): WriteResult {
  return {
    spans: { inserted: spans, duplicates: 0, rejected: [] },
    logs: { inserted: logs, duplicates: 0, rejected: [] },
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const unavailableStore = {
  calls: 0,
  write(): Promise<WriteResult> {
    this.calls++;
    return Promise.reject(
      new StoreUnavailableError("The sqlite database is unavailable: connection refused"),
    );
  },
};

/** A store whose writes wait until the test releases them. */
function gatedStore() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const store = {
    calls: 0,
    async write(batch: Batch): Promise<WriteResult> {
      store.calls++;
      await gate;
      return stored(batch.spans.length, batch.logs.length);
    },
  };
  return { store, release };
}

Deno.test("write() then replayOnce() stores every item once and empties the queue", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const name = await dlq.write(buildBatch(20, 30));
    assert.equal(dlq.size(), 1);
    assert.equal(dlq.bytes(), await fileBytes(dir, [name]));
    assert.equal(dlq.counters.written, 1);

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 1, storedSpans: 20, storedLogs: 30 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 20);
    assert.equal(await store.countLogs(ALL_TIME), 30);
    assert.equal(dlq.size(), 0);
    assert.equal(dlq.bytes(), 0);
    assert.deepEqual(await listing(dir), ["quarantine"]);
    assert.equal(dlq.counters.replayedFiles, 1);

    assert.deepEqual(await dlq.replayOnce(store), report({}));
    assert.equal(await store.countSpans(ALL_TIME), 20);
  });
});

Deno.test("the same batch in two files is stored once and counted as duplicates", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const batch = buildBatch(5, 5);
    const first = await dlq.write(batch);
    const second = await dlq.write(batch);
    assert.notEqual(first, second);
    assert.ok(first < second, "names sort oldest first");
    assert.equal(dlq.size(), 2);
    assert.equal(dlq.bytes(), await fileBytes(dir, [first, second]));

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 2, storedSpans: 5, storedLogs: 5, duplicateItems: 10 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 5);
    assert.equal(await store.countLogs(ALL_TIME), 5);
    assert.equal(dlq.size(), 0);
    assert.equal(dlq.bytes(), 0);
  });
});

Deno.test("once write() resolves its file is complete, parses, and no .tmp is left", async () => {
  let clock = NOW_MS;
  await withDlq(async ({ dir, dlq }) => {
    const batch = buildBatch(3, 2);
    const name = await dlq.write(batch);
    assert.match(name, /^batch_1795687200000_000001_[0-9a-f]{8}\.json$/);
    assert.deepEqual(await listing(dir), [name, "quarantine"]);

    // Version 3: a header line, the resources, the spans, the logs, an end line with the counts.
    const lines = await fileLines(join(dir, name));
    assert.deepEqual(lines[0], {
      format: "argus-dlq",
      version: 3,
      createdAt: "2026-11-26T10:00:00.000Z",
    });
    assert.deepEqual(lines.map((l) => Object.keys(l)[0]), [
      "format",
      "resource",
      "resource",
      "resource",
      "span",
      "span",
      "span",
      "log",
      "log",
      "end",
    ]);
    assert.deepEqual(lines.at(-1), { end: { resources: 3, spans: 3, logs: 2, metrics: 0 } });
    const span = lines[4]!.span as Record<string, unknown>;
    assert.equal(span.startTimeUnixNano, String(batch.spans[0]!.startTimeUnixNano));
    const log = lines[8]!.log as Record<string, unknown>;
    assert.equal(log.timeUnixNano, String(batch.logs[1]!.timeUnixNano));
    assert.deepEqual(decodeDlqFile(await Deno.readFile(join(dir, name))), batch);

    // Names sort in write order, within one millisecond and across them.
    const names = [name];
    names.push(await dlq.write(batch));
    clock += 1;
    names.push(await dlq.write(batch));
    assert.deepEqual([...names].sort(), names);
  }, { now: () => clock });
});

Deno.test("init() removes the temp file of an interrupted write and counts the files already there", async () => {
  await withDlq(async ({ dir, dlq, store, reopen }) => {
    const names = [await dlq.write(buildBatch(4, 0, 1)), await dlq.write(buildBatch(0, 4, 2))];
    // A crash between creating the temp file and the rename: never acknowledged.
    const temp = "batch_1795687200001_000003_0123abcd.json.tmp";
    await Deno.writeTextFile(join(dir, temp), '{"format":"argus-dlq","vers');
    await Deno.writeTextFile(join(dir, "notes.txt"), "an operator's note");

    const restarted = reopen();
    assert.equal(restarted.size(), 0);
    await restarted.init();
    assert.equal(restarted.size(), 2);
    assert.equal(restarted.bytes(), await fileBytes(dir, names));
    assert.deepEqual(await listing(dir), [...names, "notes.txt", "quarantine"]);

    assert.deepEqual(
      await restarted.replayOnce(store),
      report({ replayedFiles: 2, storedSpans: 4, storedLogs: 4, quarantinedFiles: 1 }),
    );
    assert.deepEqual(await listing(join(dir, "quarantine")), [
      "notes.txt",
      "notes.txt.reason.txt",
    ]);
  });
});

Deno.test("corrupt, foreign, wrong-version and non-batch files are quarantined with a reason while the rest replay", async () => {
  await withDlq(async ({ dir, lines, dlq, store }) => {
    const good = [await dlq.write(buildBatch(3, 3, 1)), await dlq.write(buildBatch(2, 2, 2))];
    const text = await Deno.readTextFile(join(dir, good[0]!));
    const document = JSON.parse(encodeV1(buildBatch(3, 3, 1)));
    const bad: Record<string, [content: string, reason: RegExp]> = {
      "batch_0000000000001_000001_00000001.json": [
        text.slice(0, text.length / 2),
        /the file ends in the middle of line \d+ \(truncated or corrupt\)/,
      ],
      "batch_0000000000001_000001_00000002.json": [
        encodeV1(buildBatch(3, 3, 1)).slice(0, 500),
        /not valid JSON \(truncated or corrupt\)/,
      ],
      "batch_0000000000002_000001_00000002.json": [
        JSON.stringify({ resourceSpans: [] }),
        /not an Argus dead-letter batch: "format" must be "argus-dlq", current value is undefined/,
      ],
      "batch_0000000000003_000001_00000003.json": [
        JSON.stringify({ ...document, version: 4 }),
        /format version 4: this Argus reads versions 1, 2 and 3/,
      ],
      "batch_20261126.json": [
        JSON.stringify({
          ...document,
          batch: {
            ...document.batch,
            spans: [{ ...document.batch.spans[0], startTimeUnixNano: 1795687200000000000 }],
          },
          spans: 1,
        }),
        /batch\.spans\[0\]\.startTimeUnixNano must be a decimal string of an integer from 0 to 2\^63-1/,
      ],
      "README.md": ["# not a batch", /reason: not a DLQ batch file/],
      "batch_0000000000001_000001_00000001.json.bak": [text, /reason: not a DLQ batch file/],
    };
    for (const [name, [content]] of Object.entries(bad)) {
      await Deno.writeTextFile(join(dir, name), content);
    }
    // Folders are left alone: a mount point's lost+found, or anything else that is not a file.
    await Deno.mkdir(join(dir, "lost+found"));
    await Deno.mkdir(join(dir, "batch_0000000000004_000001_00000004.json"));
    await Deno.symlink(good[1]!, join(dir, "batch_0000000000005_000001_00000005.json"));

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 2, storedSpans: 5, storedLogs: 5, quarantinedFiles: 8 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 5);
    assert.deepEqual(await listing(dir), [
      "batch_0000000000004_000001_00000004.json",
      "lost+found",
      "quarantine",
    ]);
    assert.equal(dlq.size(), 0);
    assert.equal(dlq.counters.quarantinedFiles, 8);

    const quarantine = join(dir, "quarantine");
    const quarantined = await listing(quarantine);
    for (const [name, [content, reason]] of Object.entries(bad)) {
      assert.ok(quarantined.includes(name), `${name} is quarantined`);
      assert.equal(await Deno.readTextFile(join(quarantine, name)), content, "kept byte for byte");
      const why = await Deno.readTextFile(join(quarantine, `${name}.reason.txt`));
      assert.match(why, new RegExp(`^file: ${name.replaceAll(".", "\\.")}\n`));
      assert.match(why, reason);
    }
    assert.match(
      await Deno.readTextFile(
        join(quarantine, "batch_0000000000005_000001_00000005.json.reason.txt"),
      ),
      /reason: not a regular file/,
    );
    assert.equal(lines.filter((l) => l.includes("is left alone")).length, 2);
    assert.equal(lines.filter((l) => l.includes("dead-letter file quarantined")).length, 8);

    // Quarantined files are never looked at again.
    assert.deepEqual(await dlq.replayOnce(store), report({}));
    assert.deepEqual(await listing(quarantine), quarantined);
    assert.equal(lines.filter((l) => l.includes("is left alone")).length, 2, "warned once");
  });
});

Deno.test("a version-1 file differing from the format in any way is quarantined with the problem named", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const original = encodeV1(buildBatch(1, 1));
    // deno-lint-ignore no-explicit-any -- free-form edits of a parsed document
    type Doc = any;
    const cases: [edit: (doc: Doc) => unknown, reason: RegExp][] = [
      [(d) => ({ ...d, extra: 1 }), /the file has an unknown field "extra"/],
      [(d) => {
        delete d.createdAt;
        return d;
      }, /the file\.createdAt is missing/],
      [(d) => ({ ...d, createdAt: "yesterday" }), /createdAt must be an ISO 8601 time/],
      [(d) => ({ ...d, spans: 2 }), /header counts 2 spans and 1 logs but the batch holds 1 and 1/],
      [(d) => ({ ...d, batch: [] }), /batch must be an object: it is an array/],
      [
        (d) => ({ ...d, batch: { ...d.batch, metrics: [] } }),
        /batch has an unknown field "metrics"/,
      ],
      [
        (d) => ({ ...d, batch: { ...d.batch, resources: {} } }),
        /batch\.resources must be an array/,
      ],
      [(d) => {
        delete d.batch.spans[0].kind;
        return d;
      }, /batch\.spans\[0\]\.kind is missing/],
      [(d) => {
        d.batch.spans[0].resource = {};
        return d;
      }, /batch\.spans\[0\] has an unknown field "resource"/],
      [(d) => {
        d.batch.spans[0].kind = "2";
        return d;
      }, /batch\.spans\[0\]\.kind must be a number: current value is "2"/],
      [(d) => {
        d.batch.logs[0].body = null;
        return d;
      }, /batch\.logs\[0\]\.body must be a string: current value is null/],
      [(d) => {
        d.batch.resources[1].droppedAttributesCount = true;
        return d;
      }, /batch\.resources\[1\]\.droppedAttributesCount must be a number: current value is true/],
      [(d) => {
        d.batch.logs[0].timeUnixNano = "-1";
        return d;
      }, /batch\.logs\[0\]\.timeUnixNano must be a decimal string/],
      [(d) => {
        d.batch.logs[0].timeUnixNano = "0123";
        return d;
      }, /batch\.logs\[0\]\.timeUnixNano must be a decimal string/],
      [
        (d) => {
          d.batch.logs[0].observedTimeUnixNano = "9223372036854775808";
          return d;
        },
        /batch\.logs\[0\]\.observedTimeUnixNano must be a decimal string of an integer from 0 to 2\^63-1: current value is "9223372036854775808"/,
      ],
      [(d) => {
        d.batch.spans[0].endTimeUnixNano = "1.5e18";
        return d;
      }, /batch\.spans\[0\]\.endTimeUnixNano must be a decimal string/],
      [() => null, /"format" must be "argus-dlq", current value is null/],
      [() => [1, 2], /"format" must be "argus-dlq", current value is an array/],
    ];
    const names: string[] = [];
    for (const [i, [edit]] of cases.entries()) {
      const file = `batch_0000000000001_${String(i).padStart(6, "0")}_00000000.json`;
      names.push(file);
      await Deno.writeTextFile(join(dir, file), JSON.stringify(edit(JSON.parse(original))));
    }
    const notUtf8 = "batch_0000000000002_000000_00000000.json";
    await Deno.writeFile(join(dir, notUtf8), new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ quarantinedFiles: cases.length + 1 }),
    );
    const quarantine = join(dir, "quarantine");
    for (const [i, [, reason]] of cases.entries()) {
      assert.match(await Deno.readTextFile(join(quarantine, `${names[i]}.reason.txt`)), reason);
    }
    assert.match(
      await Deno.readTextFile(join(quarantine, `${notUtf8}.reason.txt`)),
      /the file is not valid UTF-8/,
    );
    assert.equal(await store.countSpans(ALL_TIME), 0);
  });
});

Deno.test("a quarantined file never overwrites an earlier one of the same name", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    await Deno.writeTextFile(join(dir, "notes.txt"), "first");
    await dlq.replayOnce(store);
    await Deno.writeTextFile(join(dir, "notes.txt"), "second");
    await dlq.replayOnce(store);
    const quarantine = join(dir, "quarantine");
    assert.deepEqual(await listing(quarantine), [
      "notes.txt",
      "notes.txt.1",
      "notes.txt.1.reason.txt",
      "notes.txt.reason.txt",
    ]);
    assert.equal(await Deno.readTextFile(join(quarantine, "notes.txt")), "first");
    assert.equal(await Deno.readTextFile(join(quarantine, "notes.txt.1")), "second");
  });
});

Deno.test("an unavailable store keeps every file for a later pass, however many passes", async () => {
  await withDlq(async ({ dir, lines, dlq, store }) => {
    const names = [
      await dlq.write(buildBatch(2, 1, 1)),
      await dlq.write(buildBatch(2, 1, 2)),
      await dlq.write(buildBatch(2, 1, 3)),
    ];
    unavailableStore.calls = 0;
    for (let pass = 0; pass < 5; pass++) {
      assert.deepEqual(
        await dlq.replayOnce(unavailableStore),
        report({ keptFiles: 3, storeFailed: true }),
      );
    }
    // The pass stops at the first file: the others are not tried against a store that is down.
    assert.equal(unavailableStore.calls, 5);
    assert.equal(
      lines.filter((l) => l.includes("the store failed, so every file is kept")).length,
      5,
    );
    assert.equal(dlq.size(), 3);
    assert.deepEqual(await listing(dir), [...names, "quarantine"]);
    assert.equal(dlq.counters.quarantinedFiles, 0);

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 3, storedSpans: 6, storedLogs: 3 }),
    );
    assert.equal(dlq.size(), 0);
  });
});

Deno.test("a store that throws any error keeps every file in every pass, never quarantined", async () => {
  // What a database that is read-only, out of disk, refusing permissions, timing out, or not
  // migrated yet throws: none of it says anything about the items, so nothing may be dropped.
  const errors = [
    new Error("cannot execute INSERT in a read-only transaction"),
    new Error("permission denied for table spans"),
    new Error("could not extend file: No space left on device"),
    new Error("canceling statement due to statement timeout"),
    new Error("Lock wait timeout exceeded; try restarting transaction"),
    new Error('relation "spans" does not exist'),
    new TypeError("Cannot read properties of undefined (reading 'rows')"),
    new StoreUnavailableError("The postgres database is unavailable: connection refused"),
  ];
  await withDlq(async ({ dir, dlq, store }) => {
    const batches = [buildBatch(5, 4, 1), buildBatch(3, 2, 2)];
    const names = [await dlq.write(batches[0]!), await dlq.write(batches[1]!)];
    let calls = 0;
    for (const error of errors) {
      const failing = {
        write(): Promise<WriteResult> {
          calls++;
          return Promise.reject(error);
        },
      };
      assert.deepEqual(
        await dlq.replayOnce(failing),
        report({ keptFiles: 2, storeFailed: true }),
        error.message,
      );
    }
    assert.equal(calls, errors.length, "one write per pass: the pass stops at the first error");
    assert.deepEqual(await listing(dir), [...names, "quarantine"]);
    assert.deepEqual(await listing(join(dir, "quarantine")), []);
    assert.equal(dlq.counters.quarantinedFiles, 0);
    assert.equal(dlq.counters.rejectedItems, 0);

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 2, storedSpans: 8, storedLogs: 6 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 8);
    assert.equal(await store.countLogs(ALL_TIME), 6);
    assert.deepEqual(await listing(dir), ["quarantine"]);
  });
});

Deno.test("a store error tied to one file does not hold up the others: that file goes last", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const names = [
      await dlq.write(buildBatch(1, 0, 1)),
      await dlq.write(buildBatch(2, 0, 2)),
      await dlq.write(buildBatch(3, 0, 3)),
    ];
    const choking = {
      tried: [] as number[],
      write(batch: Batch): Promise<WriteResult> {
        choking.tried.push(batch.spans.length);
        return batch.spans.length === 1
          ? Promise.reject(new Error("the driver chokes on this one"))
          : store.write(batch);
      },
    };
    assert.deepEqual(await dlq.replayOnce(choking), report({ keptFiles: 3, storeFailed: true }));
    assert.deepEqual(
      await dlq.replayOnce(choking),
      report({ replayedFiles: 2, storedSpans: 5, keptFiles: 1, storeFailed: true }),
    );
    assert.deepEqual(choking.tried, [1, 2, 3, 1]);
    assert.deepEqual(await listing(dir), [names[0]!, "quarantine"], "kept, never quarantined");
    assert.deepEqual(await dlq.replayOnce(store), report({ replayedFiles: 1, storedSpans: 1 }));
  });
});

Deno.test("items the store refuses go to quarantine/ with their reasons before their file is deleted", async () => {
  await withDlq(async ({ dir, lines, dlq, store }) => {
    const batch = buildBatch(4, 3);
    batch.spans[1] = { ...batch.spans[1]!, traceId: "not-a-trace-id" };
    batch.logs[2] = { ...batch.logs[2]!, spanId: "xyz" };
    const name = await dlq.write(batch);
    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 1, storedSpans: 3, storedLogs: 2, rejectedItems: 2 }),
    );
    assert.equal(dlq.counters.rejectedItems, 2);
    assert.deepEqual(await listing(dir), ["quarantine"]);

    // A file of its own, in the queue's format, each refused item with its reason on its line.
    const quarantine = join(dir, "quarantine");
    const refused = name.replace(/\.json$/, ".rejected.json");
    assert.deepEqual(await listing(quarantine), [refused, `${refused}.reason.txt`]);
    const refusedLines = await fileLines(join(quarantine, refused));
    assert.equal(refusedLines[0]!.format, "argus-dlq");
    const spanLine = refusedLines.find((l) => "span" in l)!;
    assert.deepEqual(
      (spanLine.span as Record<string, unknown>).traceId,
      "not-a-trace-id",
    );
    assert.match(String(spanLine.rejected), /trace_id must be 32 lower-case hex characters/);
    const logLine = refusedLines.find((l) => "log" in l)!;
    assert.match(String(logLine.rejected), /span_id/);
    assert.deepEqual(refusedLines.at(-1), {
      end: { resources: 2, spans: 1, logs: 1, metrics: 0 },
    });
    assert.deepEqual(decodeDlqFile(await Deno.readFile(join(quarantine, refused))), {
      resources: [batch.resources[1]!, batch.resources[2]!],
      spans: [batch.spans[1]!],
      logs: [batch.logs[2]!],
    });
    const reason = await Deno.readTextFile(join(quarantine, `${refused}.reason.txt`));
    assert.match(reason, new RegExp(`^file: ${name.replaceAll(".", "\\.")}\n`));
    assert.match(
      reason,
      /the store refused 2 items of it for their own content \(1 spans, 1 logs\)/,
    );
    assert.match(reason, /span 1: trace_id must be 32 lower-case hex characters/);
    assert.match(reason, /log 2: .*span_id/);
    const line = lines.find((l) => l.includes("the store refused items for their content"));
    assert.ok(line);
    assert.match(line, /span 1: trace_id must be 32 lower-case hex characters/);

    // Moved back into the queue, the file is replayed like any other (and refused again).
    await Deno.rename(join(quarantine, refused), join(dir, refused));
    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 1, rejectedItems: 2 }),
    );
    assert.ok((await listing(quarantine)).includes(refused.replace(/\.json$/, ".rejected.json")));
    assert.equal(await store.countSpans(ALL_TIME), 3);
  });
});

Deno.test("a file whose refused items cannot be quarantined is kept, and replayed once they can", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const batch = buildBatch(3, 0);
    batch.spans[0] = { ...batch.spans[0]!, spanId: "not-a-span-id" };
    const name = await dlq.write(batch);
    // quarantine/ replaced by a file: writing the refused items fails.
    const quarantine = join(dir, "quarantine");
    await Deno.remove(quarantine);
    await Deno.writeTextFile(quarantine, "in the way");
    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ storedSpans: 2, keptFiles: 1 }),
    );
    assert.deepEqual(await listing(dir), [name, "quarantine"]);

    await Deno.remove(quarantine);
    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 1, duplicateItems: 2, rejectedItems: 1 }),
    );
    assert.equal((await listing(quarantine)).length, 2);
    assert.equal(await store.countSpans(ALL_TIME), 2);
  });
});

Deno.test("a file over maxFileBytes is quarantined unread, with its size and the setting in the reason", async () => {
  const failing = {
    calls: 0,
    write(): Promise<WriteResult> {
      failing.calls++;
      return Promise.reject(new StoreUnavailableError("down"));
    },
  };
  await withDlq(async ({ dir, dlq }) => {
    // 1.2 GB without the disk space or the time: a sparse file. Reading it would take seconds.
    const huge = "batch_0000000000001_000001_00000001.json";
    const file = await Deno.open(join(dir, huge), { write: true, createNew: true });
    await file.write(new TextEncoder().encode('{"format":"argus-dlq","version":1,'));
    file.close();
    await Deno.truncate(join(dir, huge), 1_200_000_000);

    // Quarantined although the store is down: no store is needed to move it.
    assert.deepEqual(
      await dlq.replayOnce(failing),
      report({ quarantinedFiles: 1 }),
    );
    assert.equal(failing.calls, 0);
    const reason = await Deno.readTextFile(join(dir, "quarantine", `${huge}.reason.txt`));
    assert.match(
      reason,
      /reason: the file is 1200000000 bytes, over DLQ_MAX_FILE_BYTES \(67108864 bytes\), so it was not read/,
    );
    assert.equal((await Deno.stat(join(dir, "quarantine", huge))).size, 1_200_000_000);
    assert.equal(dlq.size(), 0);
    assert.equal(dlq.bytes(), 0);
  });
});

Deno.test("a real file one byte over the limit is quarantined, one at the limit is replayed", async () => {
  await withDlq(async ({ dir, dlq, store, reopen }) => {
    const over = await dlq.write(buildBatch(20, 0, 1));
    const exact = await dlq.write(buildBatch(20, 0, 2));
    const size = (await Deno.stat(join(dir, over))).size;
    // Padded by one byte (a space JSON allows in the header), the first is just over the limit.
    const text = await Deno.readTextFile(join(dir, over));
    await Deno.writeTextFile(join(dir, over), text.replace("{", "{ "));
    assert.equal((await Deno.stat(join(dir, exact))).size, size);

    const limited = reopen({ maxFileBytes: size });
    await limited.init();
    assert.deepEqual(
      await limited.replayOnce(store),
      report({ replayedFiles: 1, storedSpans: 20, quarantinedFiles: 1 }),
    );
    assert.match(
      await Deno.readTextFile(join(dir, "quarantine", `${over}.reason.txt`)),
      new RegExp(`the file is ${size + 1} bytes, over DLQ_MAX_FILE_BYTES \\(${size} bytes\\)`),
    );
  });
});

Deno.test("write() splits a batch over files of at most maxFileBytes, each complete, stored once", async () => {
  const maxFileBytes = 16 * 1024;
  await withDlq(async ({ dir, dlq, store }) => {
    const batch = buildBatch(60, 50);
    const written = await dlq.write(batch);
    const names = written.split(", ");
    assert.ok(names.length >= 3, `${names.length} files`);
    assert.deepEqual(await listing(dir), [...names, "quarantine"].sort());
    assert.equal(dlq.size(), names.length);
    assert.equal(dlq.counters.written, names.length);
    let spans = 0, logs = 0;
    for (const name of names) {
      const bytes = await Deno.readFile(join(dir, name));
      assert.ok(bytes.length <= maxFileBytes, `${name}: ${bytes.length} bytes`);
      // Complete on its own: every row's resource is in the same file.
      const part = decodeDlqFile(bytes);
      const ids = new Set(part.resources.map((r) => r.id));
      assert.ok([...part.spans, ...part.logs].every((row) => ids.has(row.resourceId)));
      spans += part.spans.length;
      logs += part.logs.length;
    }
    assert.deepEqual([spans, logs], [60, 50]);

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: names.length, storedSpans: 60, storedLogs: 50 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 60);
    assert.equal(await store.countLogs(ALL_TIME), 50);

    // One row that cannot fit in a file: refused, nothing written, nothing acknowledged.
    const big = buildBatch(1, 0, 9);
    big.spans[0] = { ...big.spans[0]!, attributes: JSON.stringify({ pad: "x".repeat(20_000) }) };
    await assert.rejects(dlq.write(big), (error: Error) => {
      assert.ok(error instanceof RowTooLargeError);
      assert.match(
        error.message,
        /^Cannot write span 0 of a batch to the dead-letter queue as a file must not exceed DLQ_MAX_FILE_BYTES \(16384 bytes\): the span needs \d+ bytes with its resource$/,
      );
      return true;
    });
    assert.deepEqual(await listing(dir), ["quarantine"]);
    assert.equal(dlq.counters.writeFailures, 1);
  }, { maxFileBytes });
});

Deno.test("DLQ_MAX_BYTES counts every file of a split batch", async () => {
  const batch = buildBatch(60, 0);
  await withDlq(async ({ dir, dlq }) => {
    await assert.rejects(dlq.write(batch), DlqFullError);
    assert.deepEqual(await listing(dir), ["quarantine"]);
  }, { maxFileBytes: 16 * 1024, maxBytes: encodeDlqFile(batch, new Date()).length });
});

Deno.test("version-1 files (written before version 2) are still replayed", async () => {
  await withDlq(async ({ dir, dlq, store, reopen }) => {
    const batches = [buildBatch(7, 5, 1), buildBatch(0, 3, 2)];
    const names = [
      "batch_1795687200000_000001_0000abcd.json",
      "batch_1795687200000_000002_0000abcd.json",
    ];
    for (const [i, name] of names.entries()) {
      await Deno.writeTextFile(join(dir, name), encodeV1(batches[i]!));
    }
    assert.deepEqual(decodeDlqFile(new TextEncoder().encode(encodeV1(batches[0]!))), batches[0]);
    const upgraded = reopen({ replayChunkRows: 4 });
    await upgraded.init();
    assert.equal(upgraded.size(), 2);
    assert.deepEqual(
      await upgraded.replayOnce(store),
      report({ replayedFiles: 2, storedSpans: 7, storedLogs: 8 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 7);
    assert.equal(await store.countLogs(ALL_TIME), 8);
    assert.deepEqual(await listing(dir), ["quarantine"]);
    void dlq;
  });
});

Deno.test("replay stores a file in chunks of replayChunkRows rows, each with its resources, everything once", async () => {
  await withDlq(async ({ dir, dlq, store, reopen }) => {
    const batch = buildBatch(23, 12);
    const name = await dlq.write(batch);
    const chunked = reopen({ replayChunkRows: 5 });
    await chunked.init();

    // The store fails in the middle of the file: the chunks before it are stored, the file stays.
    const failing = recordingStore(
      store,
      (call) => call === 4 ? new Error("connection reset by peer") : undefined,
    );
    assert.deepEqual(
      await chunked.replayOnce(failing),
      report({ storedSpans: 15, keptFiles: 1, storeFailed: true }),
    );
    assert.deepEqual(await listing(dir), [name, "quarantine"]);

    const recording = recordingStore(store);
    assert.deepEqual(
      await chunked.replayOnce(recording),
      report({ replayedFiles: 1, storedSpans: 8, storedLogs: 12, duplicateItems: 15 }),
    );
    assert.deepEqual(
      recording.batches.map((b) => [b.spans.length, b.logs.length]),
      [[5, 0], [5, 0], [5, 0], [5, 0], [3, 2], [0, 5], [0, 5]],
    );
    for (const chunk of recording.batches) {
      const ids = new Set(chunk.resources.map((r) => r.id));
      assert.equal(ids.size, chunk.resources.length, "each resource once per chunk");
      for (const row of [...chunk.spans, ...chunk.logs]) assert.ok(ids.has(row.resourceId));
    }
    assert.equal(await store.countSpans(ALL_TIME), 23);
    assert.equal(await store.countLogs(ALL_TIME), 12);
    assert.deepEqual(await listing(dir), ["quarantine"]);
  });
});

Deno.test("a version-3 file with a bad line is quarantined with the line named", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const name = await dlq.write(buildBatch(2, 1));
    const text = await Deno.readTextFile(join(dir, name));
    await Deno.remove(join(dir, name));
    const lines = text.slice(0, -1).split("\n");
    // header, 2 resources (the third is referenced by no row), 2 spans, 1 log, end
    assert.equal(lines.length, 7);
    const cases: [lines: string[], reason: RegExp][] = [
      [lines.slice(0, -1), /ends after line 6 without its end line \(truncated\)/],
      [[...lines, lines.at(-1)!], /line 8 follows the end line/],
      [lines.with(3, "{"), /line 4 is not valid JSON \(corrupt\)/],
      [
        lines.with(3, '{"metrix":{}}'),
        /line 4 must hold one of "resource", "span", "log", "metric" or "end": it has "metrix"/,
      ],
      [lines.with(3, '{"metric":{}}'), /line 4: metric.instrument is missing/],
      [
        lines.with(3, lines[3]!.replace('"kind":', '"kinds":')),
        /line 4: span has an unknown field "kinds"/,
      ],
      [
        lines.with(3, lines[3]!.replace("{", '{"rejected":1,')),
        /line 4: rejected must be a string/,
      ],
      [
        lines.with(4, lines[4]!.replace('"traceId":', '"traceId":1,"x":')),
        /line 5: span has an unknown field "x"/,
      ],
      [
        lines.with(6, '{"end":{"resources":2,"spans":3,"logs":1,"metrics":0}}'),
        /the end line counts 2 resources, 3 spans, 1 logs and 0 metric points but the file holds 2, 2, 1 and 0/,
      ],
      [
        lines.with(0, lines[0]!.replace("}", ',"x":1}')),
        /the header \(line 1\) has an unknown field "x"/,
      ],
      [
        lines.with(0, '{"format":"argus-dlq","version":9}'),
        /format version 9: this Argus reads versions 1, 2 and 3/,
      ],
      [lines.with(0, '{"format":"otlp"}'), /"format" must be "argus-dlq", current value is "otlp"/],
    ];
    for (const [i, [content]] of cases.entries()) {
      const file = `batch_0000000000001_${String(i).padStart(6, "0")}_00000000.json`;
      await Deno.writeTextFile(join(dir, file), `${content.join("\n")}\n`);
    }
    await Deno.writeTextFile(
      join(dir, "batch_0000000000002_000000_00000000.json"),
      text.slice(0, -1),
    );
    assert.deepEqual(
      (await dlq.replayOnce(store)).quarantinedFiles,
      cases.length + 1,
    );
    for (const [i, [, reason]] of cases.entries()) {
      const file = `batch_0000000000001_${String(i).padStart(6, "0")}_00000000.json`;
      assert.match(
        await Deno.readTextFile(join(dir, "quarantine", `${file}.reason.txt`)),
        reason,
      );
    }
    assert.match(
      await Deno.readTextFile(
        join(dir, "quarantine", "batch_0000000000002_000000_00000000.json.reason.txt"),
      ),
      /the file ends in the middle of line 7 \(truncated or corrupt\)/,
    );
  });
});

Deno.test("a bad line after stored chunks: the file is quarantined whole, its reason says what was stored", async () => {
  await withDlq(async ({ dir, dlq, store, reopen }) => {
    const name = await dlq.write(buildBatch(10, 0));
    const text = await Deno.readTextFile(join(dir, name));
    const lines = text.slice(0, -1).split("\n");
    await Deno.writeTextFile(join(dir, name), `${lines.with(10, "{").join("\n")}\n`);
    const chunked = reopen({ replayChunkRows: 3 });
    await chunked.init();
    assert.deepEqual(
      await chunked.replayOnce(store),
      report({ storedSpans: 6, quarantinedFiles: 1 }),
    );
    assert.match(
      await Deno.readTextFile(join(dir, "quarantine", `${name}.reason.txt`)),
      /line 11 is not valid JSON \(corrupt\).*\(the 6 items before it were stored; replaying the file again would store none of them twice\)/,
    );
    void dlq;
  });
});

Deno.test("stop() ends a pass between two chunks of a file, which stays for the next start", async () => {
  await withDlq(async ({ dir, store, reopen }) => {
    const chunked = reopen({ replayChunkRows: 2 });
    const name = await chunked.write(buildBatch(10, 0));
    let stopping: Promise<void> | undefined;
    const stopper = recordingStore(store);
    const first = stopper.write.bind(stopper);
    stopper.write = async (batch: Batch) => {
      const result = await first(batch);
      if (stopper.batches.length === 2) stopping = chunked.stop();
      return result;
    };
    const pass = await chunked.replayOnce(stopper);
    await stopping;
    assert.deepEqual(pass, report({ storedSpans: 4, keptFiles: 1 }));
    assert.equal(stopper.batches.length, 2);
    assert.deepEqual(await listing(dir), [name, "quarantine"]);
    assert.deepEqual(
      await chunked.replayOnce(store),
      report({ replayedFiles: 1, storedSpans: 6, duplicateItems: 4 }),
    );
  });
});

Deno.test("init() removes the temp file of refused items a crash left in quarantine/", async () => {
  await withDlq(async ({ dir, reopen }) => {
    const quarantine = join(dir, "quarantine");
    const temp = "batch_1795687200000_000001_0000abcd.rejected.0123abcd.tmp";
    await Deno.writeTextFile(join(quarantine, temp), '{"format":"argus-dlq","version":2,');
    await Deno.writeTextFile(join(quarantine, "notes.txt"), "an operator's");
    await reopen().init();
    assert.deepEqual(await listing(quarantine), ["notes.txt"]);
  });
});

Deno.test("replayDelayMs() doubles the wait after failed passes, up to MAX_BACKOFF_MS or the interval", () => {
  assert.equal(MAX_BACKOFF_MS, 10_000);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 50].map((failed) => replayDelayMs(500, failed)),
    [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000],
  );
  // A long interval is already a back-off: it stays as it is.
  assert.deepEqual([0, 1, 9].map((failed) => replayDelayMs(300_000, failed)), [
    300_000,
    300_000,
    300_000,
  ]);
});

Deno.test("startReplay() backs off while the store fails and resumes when it works", async () => {
  await withDlq(async ({ dlq, store }) => {
    await dlq.write(buildBatch(2, 2, 1));
    let healthy = false;
    const calls: number[] = [];
    const flaky = {
      write(batch: Batch): Promise<WriteResult> {
        calls.push(performance.now());
        return healthy ? store.write(batch) : Promise.reject(new Error("read-only transaction"));
      },
    };
    dlq.startReplay(flaky, 100);
    await until(() => calls.length >= 4, 10_000);
    // Waits of 200, 400, 800 ms after the first failure (timers may fire late, never early).
    const gaps = calls.slice(1).map((at, i) => at - calls[i]!);
    assert.ok(gaps[1]! >= 390 && gaps[2]! >= 790, `gaps ${gaps.map(Math.round)}`);
    healthy = true;
    await until(() => dlq.size() === 0, 10_000);
    assert.equal(await store.countSpans(ALL_TIME), 2);
  });
});

Deno.test("write() refuses with DlqFullError beyond maxBytes, also when writes race", async () => {
  const batch = buildBatch(10, 10);
  const fileSize = encodeDlqFile(batch, new Date(NOW_MS)).length;
  await withDlq(async ({ dir, dlq, store }) => {
    const first = await dlq.write(batch);
    await assert.rejects(dlq.write(batch), (error: Error) => {
      assert.ok(error instanceof DlqFullError);
      assert.equal(error.name, "DlqFullError");
      assert.match(error.message, /DLQ_MAX_BYTES \(\d+ bytes\)/);
      assert.ok(error.message.includes(`${Math.floor(fileSize * 1.5)} bytes`), error.message);
      assert.ok(error.message.includes(`holds ${fileSize} bytes in 1 files`), error.message);
      assert.ok(error.message.includes(dir), error.message);
      return true;
    });
    assert.equal(dlq.size(), 1);
    assert.equal(dlq.counters.written, 1);
    assert.equal(dlq.counters.writeFailures, 1);
    assert.deepEqual(await listing(dir), [first, "quarantine"]);

    // Replay frees the space.
    await dlq.replayOnce(store);
    await dlq.write(batch);
    assert.equal(dlq.size(), 1);
  }, { now: () => NOW_MS, maxBytes: Math.floor(fileSize * 1.5) });

  await withDlq(async ({ dlq }) => {
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => dlq.write(batch)));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 2);
    assert.ok(
      results.every((r) => r.status === "fulfilled" || r.reason instanceof DlqFullError),
    );
    assert.equal(dlq.size(), 2);
  }, { now: () => NOW_MS, maxBytes: fileSize * 2 });
});

Deno.test("write() rejects naming the folder when it cannot be created, and works once it can", async () => {
  const root = await Deno.makeTempDir({ prefix: "argus-dlq-test-" });
  try {
    // A folder under a regular file fails even for root, which chmod would not stop.
    const blocker = join(root, "file.txt");
    await Deno.writeTextFile(blocker, "in the way");
    const dir = join(blocker, "dlq");
    const dlq = new DeadLetterQueue({
      dir,
      maxBytes: 1_048_576,
      logger: createLogger("error", () => {}),
    });
    await assert.rejects(
      dlq.write(buildBatch(1, 1)),
      new RegExp(`^Error: Cannot prepare the dead-letter queue folder ${dir}: `),
    );
    assert.equal(dlq.counters.writeFailures, 1);
    assert.equal(dlq.counters.written, 0);
    assert.equal(dlq.size(), 0);

    await Deno.remove(blocker);
    await Deno.mkdir(blocker);
    const name = await dlq.write(buildBatch(1, 1));
    assert.deepEqual(await listing(dir), [name, "quarantine"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "write() rejects and leaves no file when the disk refuses the data mid-write",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "argus-dlq-test-" });
    try {
      const dir = join(root, "dlq");
      const child = new URL("./testdata/dlq/write_child.ts", import.meta.url).pathname;
      const config = new URL("../deno.json", import.meta.url).pathname;
      // A 256 KiB file size limit stands in for a full disk: the write fails with EFBIG after
      // the temp file exists. SIGXFSZ is ignored so that the write returns the error.
      const output = await new Deno.Command("bash", {
        args: [
          "-c",
          'trap "" XFSZ; ulimit -f 256; exec "$0" run -A --config "$1" "$2" "$3"',
          Deno.execPath(),
          config,
          child,
          dir,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const result = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.match(
        result.error,
        new RegExp(`^Cannot write a batch to the dead-letter queue folder ${dir}: File too large`),
      );
      assert.equal(result.size, 1);
      assert.deepEqual(result.counters, {
        written: 1,
        writeFailures: 1,
        replayedFiles: 0,
        quarantinedFiles: 0,
        rejectedItems: 0,
      });
      assert.deepEqual(await listing(dir), [result.small, "quarantine"]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("bigint times past 2^53 and non-ASCII text survive the file round trip", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const resource = buildResource("zahlungsdienst-ü", {
      attributes: JSON.stringify({ "service.name": "zahlungsdienst-ü", "host.name": "東京-1" }),
    });
    const span = buildSpan(resource, {
      name: "Bestellung prüfen — 注文 🚀",
      startTimeUnixNano: 1_795_687_200_123_456_789n,
      endTimeUnixNano: INT64_MAX,
      statusMessage: "ошибка",
      attributes: JSON.stringify({ "user.name": "Zoë", emoji: "👩‍💻" }),
      events: JSON.stringify([{ name: "née", timeUnixNano: "9007199254740993" }]),
    });
    const log = buildLog(resource, {
      timeUnixNano: 9_007_199_254_740_993n, // 2^53 + 1: the first integer a double cannot hold
      observedTimeUnixNano: 1_795_687_200_987_654_321n,
      body: "日本語のログ ✓ \u{1F680} \u00e9\u0301",
      severityText: "WARNUNG",
      traceId: span.traceId,
      spanId: span.spanId,
    });
    const name = await dlq.write({ resources: [resource], spans: [span], logs: [log] });
    const text = await Deno.readTextFile(join(dir, name));
    assert.ok(text.includes('"endTimeUnixNano":"9223372036854775807"'));
    assert.ok(text.includes("日本語のログ ✓ \u{1F680}"), "UTF-8 as is, not escaped");

    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 1, storedSpans: 1, storedLogs: 1 }),
    );
    assert.deepEqual(await store.traceSpans(span.traceId), [{ ...span, resource }]);
    assert.deepEqual(await store.logs({ ...ALL_TIME, traceId: span.traceId }, PAGE), [
      { ...log, resource },
    ]);
  });
});

Deno.test("replayOnce() during a pass joins it instead of starting another", async () => {
  await withDlq(async ({ dlq }) => {
    await dlq.write(buildBatch(1, 1, 1));
    await dlq.write(buildBatch(1, 1, 2));
    const { store, release } = gatedStore();
    const first = dlq.replayOnce(store);
    const second = dlq.replayOnce(store);
    assert.equal(first, second);
    release();
    assert.deepEqual(
      await second,
      report({ replayedFiles: 2, storedSpans: 2, storedLogs: 2 }),
    );
    assert.equal(store.calls, 2);
    assert.equal(dlq.size(), 0);
  });
});

Deno.test("startReplay() replays on its interval until stop()", async () => {
  await withDlq(async ({ dlq, store }) => {
    await dlq.write(buildBatch(2, 2, 1));
    dlq.startReplay(store, 50);
    assert.throws(() => dlq.startReplay(store, 50), /already started/);
    // Generous: the SQLite writer thread starts (and is type-checked) on the first write.
    await until(() => dlq.size() === 0, 20_000);
    await dlq.write(buildBatch(3, 3, 2));
    await until(() => dlq.size() === 0, 20_000);
    assert.equal(await store.countSpans(ALL_TIME), 5);
    await dlq.stop();

    await dlq.write(buildBatch(1, 1, 3));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(dlq.size(), 1, "no pass after stop()");
  });
});

Deno.test("stop() waits for the running pass, which ends after its current chunk", async () => {
  await withDlq(async ({ dlq }) => {
    await dlq.write(buildBatch(1, 1, 1));
    await dlq.write(buildBatch(1, 1, 2));
    const { store, release } = gatedStore();
    dlq.startReplay(store, 20);
    await until(() => store.calls === 1);

    let stopped = false;
    const stopping = dlq.stop().then(() => stopped = true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(stopped, false, "stop() waits while a file is being stored");
    release();
    await stopping;
    assert.equal(store.calls, 1);
    assert.equal(dlq.size(), 1, "the second file waits for the next start");

    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(store.calls, 1, "the timer is gone");
  });
});

Deno.test("a failing pass is logged by the timer, which keeps going", async () => {
  await withDlq(async ({ dir, lines, dlq, store }) => {
    // The folder replaced by a file: every pass fails before reading anything.
    await Deno.remove(dir, { recursive: true });
    await Deno.writeTextFile(dir, "not a folder");
    dlq.startReplay(store, 20);
    await until(() =>
      lines.filter((l) => l.includes("dead-letter replay pass failed")).length >= 2
    );
    await dlq.stop();
    await Deno.remove(dir);
  });
});
