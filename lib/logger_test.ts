import assert from "node:assert/strict";
import type { LogLevel } from "./config.ts";
import { createLogger, formatLine } from "./logger.ts";

const EPOCH = new Date(0);
const TIMESTAMP = "1970-01-01T00:00:00.000Z";

/** A logger at `level` and the lines it produced, as `[level, line]` pairs. */
function recorded(level: LogLevel) {
  const lines: [LogLevel, string][] = [];
  const logger = createLogger(level, (at, line) => lines.push([at, line]));
  return { logger, lines };
}

/** The fields part of a line: what follows the timestamp, the level and the message `m`. */
function fieldsOf(line: string): string {
  const match = /^\S+ [A-Z]+ +m(.*)$/.exec(line);
  assert.ok(match, `not a log line: ${line}`);
  return match[1]!;
}

/** Runs `fn` with every console method replaced by a recorder, and returns what they got. */
function consoleCalls(fn: () => void): string[] {
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const saved = methods.map((method) => globalThis.console[method]);
  const calls: string[] = [];
  for (const method of methods) {
    globalThis.console[method] = (...args: unknown[]) => calls.push(`${method}: ${args.join(" ")}`);
  }
  try {
    fn();
  } finally {
    methods.forEach((method, i) => globalThis.console[method] = saved[i]!);
  }
  return calls;
}

Deno.test("formatLine() starts with the ISO timestamp, the padded level and the message", () => {
  assert.equal(formatLine("info", "started", {}, EPOCH), `${TIMESTAMP} INFO  started`);
  assert.equal(formatLine("warn", "slow", {}, EPOCH), `${TIMESTAMP} WARN  slow`);
  assert.equal(formatLine("error", "failed", {}, EPOCH), `${TIMESTAMP} ERROR failed`);
  assert.equal(formatLine("debug", "detail", {}, EPOCH), `${TIMESTAMP} DEBUG detail`);
  assert.equal(
    formatLine("info", "x", {}, new Date("2025-03-04T05:06:07.089Z")),
    "2025-03-04T05:06:07.089Z INFO  x",
  );
});

Deno.test("formatLine() writes fields as key=value in the order given", () => {
  assert.equal(
    formatLine("info", "database ready", { driver: "sqlite", migrations_applied: 3 }, EPOCH),
    `${TIMESTAMP} INFO  database ready driver=sqlite migrations_applied=3`,
  );
});

Deno.test("formatLine() leaves simple strings bare and quotes the others", () => {
  const cases: [string, string][] = [
    ["store", "store"],
    ["http://127.0.0.1:8080/", "http://127.0.0.1:8080/"],
    ["user@example.com", "user@example.com"],
    ["v1.2.3-rc+4", "v1.2.3-rc+4"],
    ["snake_case", "snake_case"],
    ["two words", '"two words"'],
    ["", '""'],
    ["a=b", '"a=b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["tab\there", '"tab\\there"'],
    ["café", '"café"'],
  ];
  for (const [value, shown] of cases) {
    assert.equal(fieldsOf(formatLine("info", "m", { v: value }, EPOCH)), ` v=${shown}`, value);
  }
});

Deno.test("formatLine() keeps a multi-line value on one line", () => {
  const line = formatLine("error", "m", { stack: "first\nsecond\r\nthird" }, EPOCH);
  assert.equal(line.split("\n").length, 1);
  assert.equal(fieldsOf(line), ' stack="first\\nsecond\\r\\nthird"');
});

Deno.test("formatLine() prints an error as its quoted message", () => {
  assert.equal(
    fieldsOf(formatLine("error", "m", { error: new Error("connection refused") }, EPOCH)),
    ' error="connection refused"',
  );
  assert.equal(
    fieldsOf(formatLine("error", "m", { error: new RangeError("bad") }, EPOCH)),
    ' error="bad"',
  );
  assert.equal(fieldsOf(formatLine("error", "m", { error: new Error("") }, EPOCH)), ' error=""');
});

Deno.test("formatLine() prints bigints in full, also inside objects", () => {
  assert.equal(
    fieldsOf(formatLine("info", "m", { start_ns: 1_700_000_000_123_456_789n }, EPOCH)),
    " start_ns=1700000000123456789",
  );
  assert.equal(fieldsOf(formatLine("info", "m", { n: -5n }, EPOCH)), " n=-5");
  assert.equal(
    fieldsOf(
      formatLine("info", "m", { span: { start: 1_700_000_000_123_456_789n, ids: [1n] } }, EPOCH),
    ),
    ' span={"start":"1700000000123456789","ids":["1"]}',
  );
});

Deno.test("formatLine() prints numbers, booleans, null, objects and arrays", () => {
  const cases: [unknown, string][] = [
    [42, "42"],
    [-1.5, "-1.5"],
    [0, "0"],
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [true, "true"],
    [false, "false"],
    [null, "null"],
    [{ a: 1, b: "two words" }, '{"a":1,"b":"two words"}'],
    [["x", 2], '["x",2]'],
    [new Date(0), `"${TIMESTAMP}"`],
  ];
  for (const [value, shown] of cases) {
    assert.equal(fieldsOf(formatLine("info", "m", { v: value }, EPOCH)), ` v=${shown}`, shown);
  }
});

Deno.test("formatLine() leaves out undefined fields", () => {
  assert.equal(
    formatLine("info", "m", { a: 1, b: undefined, c: "x" }, EPOCH),
    `${TIMESTAMP} INFO  m a=1 c=x`,
  );
});

Deno.test("createLogger() writes the levels at or above its own", () => {
  const expected: Record<LogLevel, LogLevel[]> = {
    debug: ["debug", "info", "warn", "error"],
    info: ["info", "warn", "error"],
    warn: ["warn", "error"],
    error: ["error"],
  };
  for (const [level, written] of Object.entries(expected) as [LogLevel, LogLevel[]][]) {
    const { logger, lines } = recorded(level);
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    assert.deepEqual(lines.map(([at]) => at), written, level);
  }
});

Deno.test("createLogger() hands the sink the level and a formatted line", () => {
  const { logger, lines } = recorded("debug");
  const before = Date.now();
  logger.warn("queue full", { rows: 100_000, signal: "logs" });
  const after = Date.now();
  assert.equal(lines.length, 1);
  const [level, line] = lines[0]!;
  assert.equal(level, "warn");
  const match = /^(\S+) WARN {2}queue full rows=100000 signal=logs$/.exec(line);
  assert.ok(match, line);
  const at = Date.parse(match[1]!);
  assert.ok(at >= before && at <= after, `timestamp ${match[1]} is not the time of the call`);
  assert.equal(new Date(at).toISOString(), match[1]);
});

Deno.test("createLogger() with() adds its fields to every line", () => {
  const { logger, lines } = recorded("info");
  const store = logger.with({ module: "store" });
  store.info("opened", { driver: "sqlite" });
  store.error("closed");
  assert.deepEqual(lines.map(([, line]) => line.slice(TIMESTAMP.length)), [
    " INFO  opened module=store driver=sqlite",
    " ERROR closed module=store",
  ]);
});

Deno.test("createLogger() with() chains, and a call's fields override inherited ones", () => {
  const { logger, lines } = recorded("info");
  const request = logger.with({ module: "routes", request: "a1" }).with({ route: "/api/logs" });
  request.info("served", { status: 200 });
  request.info("retried", { request: "a2" });
  assert.deepEqual(lines.map(([, line]) => line.slice(TIMESTAMP.length)), [
    " INFO  served module=routes request=a1 route=/api/logs status=200",
    " INFO  retried module=routes request=a2 route=/api/logs",
  ]);
});

Deno.test("createLogger() with() leaves the parent logger and its level unchanged", () => {
  const { logger, lines } = recorded("warn");
  const child = logger.with({ module: "ingest" });
  child.info("hidden");
  child.warn("shown");
  logger.warn("plain");
  assert.deepEqual(lines.map(([, line]) => line.slice(TIMESTAMP.length)), [
    " WARN  shown module=ingest",
    " WARN  plain",
  ]);
});

Deno.test("createLogger() with a sink writes nothing to the console", () => {
  const { logger, lines } = recorded("debug");
  const calls = consoleCalls(() => {
    logger.debug("d");
    logger.info("i");
    logger.with({ module: "x" }).warn("w");
    logger.error("e", { error: new Error("boom") });
  });
  assert.deepEqual(calls, []);
  assert.equal(lines.length, 4);
});

Deno.test("createLogger() writes to stderr by default, keeping stdout free", () => {
  const calls = consoleCalls(() => {
    const logger = createLogger("info");
    logger.debug("hidden");
    logger.info("shown", { port: 8080 });
  });
  assert.equal(calls.length, 1);
  assert.match(calls[0]!, /^error: \S+ INFO {2}shown port=8080$/);
});
