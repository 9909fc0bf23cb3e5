import assert from "node:assert/strict";
import { formatDurationMs, parseBytes, parseDurationMs } from "./units.ts";

Deno.test("parseDurationMs() reads each unit into milliseconds", () => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["0s", 0],
    ["0ms", 0],
    ["1ms", 1],
    ["007s", 7_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text);
});

Deno.test("parseDurationMs() adds up compound durations", () => {
  assert.equal(parseDurationMs("1h30m"), 5_400_000);
  assert.equal(parseDurationMs("1m30s"), 90_000);
  assert.equal(parseDurationMs("2s500ms"), 2_500);
  assert.equal(parseDurationMs("1d2h3m4s5ms"), 93_784_005);
  assert.equal(parseDurationMs("90m"), 5_400_000);
});

Deno.test("parseDurationMs() ignores surrounding whitespace", () => {
  assert.equal(parseDurationMs("  5m\n"), 300_000);
});

Deno.test("parseDurationMs() refuses a bare number, as its unit would be a guess", () => {
  for (const text of ["5", "500", "0", "3600"]) {
    assert.equal(parseDurationMs(text), undefined, text);
  }
});

Deno.test("parseDurationMs() refuses negative and fractional durations", () => {
  for (const text of ["-5m", "-1ms", "+5m", "1.5h", ".5s", "1e3ms"]) {
    assert.equal(parseDurationMs(text), undefined, text);
  }
});

Deno.test("parseDurationMs() refuses unknown units", () => {
  for (const text of ["5w", "1y", "10us", "10ns", "5sec", "5min", "2hours", "1H", "5M", "1D"]) {
    assert.equal(parseDurationMs(text), undefined, text);
  }
});

Deno.test("parseDurationMs() refuses text that is not one duration", () => {
  for (const text of ["", "   ", "ms", "h1", "1h 30m", "1h,30m", "5m!", "five minutes", "off"]) {
    assert.equal(parseDurationMs(text), undefined, JSON.stringify(text));
  }
});

Deno.test("parseDurationMs() refuses a duration beyond the safe integer range", () => {
  assert.equal(parseDurationMs(`${Number.MAX_SAFE_INTEGER}ms`), Number.MAX_SAFE_INTEGER);
  assert.equal(parseDurationMs(`${Number.MAX_SAFE_INTEGER + 1}ms`), undefined);
  assert.equal(parseDurationMs("104249991d"), 104_249_991 * 86_400_000);
  assert.equal(parseDurationMs("104249992d"), undefined);
  assert.equal(parseDurationMs("99999999999999999999999h"), undefined);
  assert.equal(parseDurationMs(`${Number.MAX_SAFE_INTEGER}ms1d`), undefined);
});

Deno.test("formatDurationMs() picks the largest unit that divides the duration", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [1, "1ms"],
    [500, "500ms"],
    [1_000, "1s"],
    [1_500, "1500ms"],
    [90_000, "90s"],
    [60_000, "1m"],
    [600_000, "10m"],
    [5_400_000, "90m"],
    [3_600_000, "1h"],
    [86_400_000, "1d"],
    [90_000_000, "25h"],
    [2_592_000_000, "30d"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDurationMs(ms), text, String(ms));
});

Deno.test("formatDurationMs() output parses back to the same duration", () => {
  for (
    const ms of [0, 1, 99, 100, 999, 1_000, 1_001, 59_999, 60_000, 61_000, 3_599_000, 3_600_000]
      .concat([86_399_999, 86_400_000, 604_800_000, 2_592_000_000, Number.MAX_SAFE_INTEGER])
  ) {
    assert.equal(parseDurationMs(formatDurationMs(ms)), ms, String(ms));
  }
  for (const text of ["500ms", "30s", "5m", "1h", "7d", "0s"]) {
    assert.equal(formatDurationMs(parseDurationMs(text)!), text);
  }
});

Deno.test("parseBytes() reads a plain number of bytes", () => {
  assert.equal(parseBytes("1048576"), 1_048_576);
  assert.equal(parseBytes("0"), 0);
  assert.equal(parseBytes("10B"), 10);
  assert.equal(parseBytes(" 4096 "), 4_096);
});

Deno.test("parseBytes() reads binary and decimal units", () => {
  const cases: [string, number][] = [
    ["512KiB", 524_288],
    ["64MiB", 67_108_864],
    ["1GiB", 1_073_741_824],
    ["1KB", 1_000],
    ["5MB", 5_000_000],
    ["1GB", 1_000_000_000],
    ["64 MiB", 67_108_864],
  ];
  for (const [text, bytes] of cases) assert.equal(parseBytes(text), bytes, text);
});

Deno.test("parseBytes() matches units in any case", () => {
  for (const text of ["64MiB", "64mib", "64MIB", "64mIb"]) {
    assert.equal(parseBytes(text), 67_108_864);
  }
  for (const text of ["1gb", "1Gb", "1GB"]) assert.equal(parseBytes(text), 1_000_000_000);
  assert.equal(parseBytes("10b"), 10);
});

Deno.test("parseBytes() refuses unknown units and malformed sizes", () => {
  for (
    const text of [
      "",
      "MiB",
      "1TB",
      "1TiB",
      "1k",
      "1M",
      "1KiBs",
      "10 bytes",
      "1.5MiB",
      "-1KiB",
      "+1KiB",
      "0x10",
      "1e6",
      "1 2",
      "1MiB 2KiB",
    ]
  ) {
    assert.equal(parseBytes(text), undefined, JSON.stringify(text));
  }
});

Deno.test("parseBytes() refuses a size beyond the safe integer range", () => {
  assert.equal(parseBytes(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.equal(parseBytes(String(Number.MAX_SAFE_INTEGER + 1)), undefined);
  assert.equal(parseBytes("8388607GiB"), 8_388_607 * 1_073_741_824);
  assert.equal(parseBytes("8388608GiB"), undefined);
});
