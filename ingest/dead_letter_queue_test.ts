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
  DlqFullError,
  encodeDlqFile,
  MAX_FAILED_PASSES,
  type ReplayReport,
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
    duplicateItems: 0,
    rejectedItems: 0,
    quarantinedFiles: 0,
    keptFiles: 0,
    ...fields,
  };
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

    const document = JSON.parse(await Deno.readTextFile(join(dir, name)));
    assert.deepEqual(Object.keys(document), [
      "format",
      "version",
      "createdAt",
      "spans",
      "logs",
      "batch",
    ]);
    assert.equal(document.format, "argus-dlq");
    assert.equal(document.version, 1);
    assert.equal(document.createdAt, "2026-11-26T10:00:00.000Z");
    assert.equal(document.spans, 3);
    assert.equal(document.logs, 2);
    assert.equal(document.batch.resources.length, 3);
    assert.equal(
      document.batch.spans[0].startTimeUnixNano,
      String(batch.spans[0]!.startTimeUnixNano),
    );
    assert.equal(document.batch.logs[1].timeUnixNano, String(batch.logs[1]!.timeUnixNano));

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
    const document = JSON.parse(text);
    const bad: Record<string, [content: string, reason: RegExp]> = {
      "batch_0000000000001_000001_00000001.json": [
        text.slice(0, text.length / 2),
        /not valid JSON \(truncated or corrupt\)/,
      ],
      "batch_0000000000002_000001_00000002.json": [
        JSON.stringify({ resourceSpans: [] }),
        /not an Argus dead-letter batch: "format" must be "argus-dlq", current value is undefined/,
      ],
      "batch_0000000000003_000001_00000003.json": [
        JSON.stringify({ ...document, version: 2 }),
        /format version 2: this Argus reads version 1/,
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
      report({ replayedFiles: 2, storedSpans: 5, storedLogs: 5, quarantinedFiles: 7 }),
    );
    assert.equal(await store.countSpans(ALL_TIME), 5);
    assert.deepEqual(await listing(dir), [
      "batch_0000000000004_000001_00000004.json",
      "lost+found",
      "quarantine",
    ]);
    assert.equal(dlq.size(), 0);
    assert.equal(dlq.counters.quarantinedFiles, 7);

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
    assert.equal(lines.filter((l) => l.includes("dead-letter file quarantined")).length, 7);

    // Quarantined files are never looked at again.
    assert.deepEqual(await dlq.replayOnce(store), report({}));
    assert.deepEqual(await listing(quarantine), quarantined);
    assert.equal(lines.filter((l) => l.includes("is left alone")).length, 2, "warned once");
  });
});

Deno.test("a file differing from the format in any way is quarantined with the problem named", async () => {
  await withDlq(async ({ dir, dlq, store }) => {
    const name = await dlq.write(buildBatch(1, 1));
    const original = await Deno.readTextFile(join(dir, name));
    await Deno.remove(join(dir, name));
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
    for (let pass = 0; pass < MAX_FAILED_PASSES + 2; pass++) {
      assert.deepEqual(await dlq.replayOnce(unavailableStore), report({ keptFiles: 3 }));
    }
    // The pass stops at the first file: the others are not tried against a store that is down.
    assert.equal(unavailableStore.calls, MAX_FAILED_PASSES + 2);
    assert.equal(lines.filter((l) => l.includes("the store is unavailable")).length, 5);
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

Deno.test("a file the store keeps failing on is retried each pass and quarantined after three", async () => {
  await withDlq(async ({ dir, lines, dlq }) => {
    const names = [await dlq.write(buildBatch(1, 0, 1)), await dlq.write(buildBatch(1, 0, 2))];
    const failing = {
      calls: 0,
      write(): Promise<WriteResult> {
        failing.calls++;
        return Promise.reject(new Error("CHECK constraint failed: spans"));
      },
    };
    for (let pass = 1; pass < MAX_FAILED_PASSES; pass++) {
      assert.deepEqual(await dlq.replayOnce(failing), report({ keptFiles: 2 }));
      assert.equal(failing.calls, 2 * pass, "each file once per pass, no loop within a pass");
    }
    assert.equal(lines.filter((l) => l.includes("kept for the next pass")).length, 4);
    assert.deepEqual(await dlq.replayOnce(failing), report({ quarantinedFiles: 2 }));
    assert.equal(dlq.size(), 0);
    for (const name of names) {
      assert.match(
        await Deno.readTextFile(join(dir, "quarantine", `${name}.reason.txt`)),
        /reason: replay failed in 3 passes; last error: the store failed to write it: CHECK constraint failed: spans/,
      );
    }
  });
});

Deno.test("items the store refuses are counted and logged, and their file is deleted", async () => {
  await withDlq(async ({ dir, lines, dlq, store }) => {
    const batch = buildBatch(3, 2);
    batch.spans[1] = { ...batch.spans[1]!, traceId: "not-a-trace-id" };
    await dlq.write(batch);
    assert.deepEqual(
      await dlq.replayOnce(store),
      report({ replayedFiles: 1, storedSpans: 2, storedLogs: 2, rejectedItems: 1 }),
    );
    assert.equal(dlq.counters.rejectedItems, 1);
    assert.deepEqual(await listing(dir), ["quarantine"]);
    const line = lines.find((l) => l.includes("the store refused items"));
    assert.ok(line);
    assert.match(line, /span 1: trace_id must be 32 lower-case hex characters/);
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
    await until(() => dlq.size() === 0);
    await dlq.write(buildBatch(3, 3, 2));
    await until(() => dlq.size() === 0);
    assert.equal(await store.countSpans(ALL_TIME), 5);
    await dlq.stop();

    await dlq.write(buildBatch(1, 1, 3));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(dlq.size(), 1, "no pass after stop()");
  });
});

Deno.test("stop() waits for the running pass, which ends after its current file", async () => {
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
