import assert from "node:assert/strict";
import { type Footprint, WriteSchedule } from "./write_schedule.ts";

/** Operations that end when told to, recording when each started. */
class Recorder {
  readonly started: string[] = [];
  readonly #ends = new Map<string, () => void>();
  op(name: string): () => Promise<string> {
    return () => {
      this.started.push(name);
      return new Promise((resolve) => this.#ends.set(name, () => resolve(name)));
    };
  }
  async end(name: string): Promise<void> {
    const end = this.#ends.get(name);
    assert.ok(end, `${name} has not started`);
    end();
    // Let the schedule see the end and start what it allows.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

const traces = (...ids: string[]): Footprint => new Set(ids);
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

Deno.test("WriteSchedule runs writes of distinct traces at once, up to its limit", async () => {
  const schedule = new WriteSchedule(2);
  const r = new Recorder();
  const done = [
    schedule.run(traces("a"), r.op("1")),
    schedule.run(traces("b"), r.op("2")),
    schedule.run(new Set(), r.op("3")),
  ];
  await settle();
  assert.deepEqual(r.started, ["1", "2"]);
  assert.equal(schedule.running, 2);
  await r.end("2");
  assert.deepEqual(r.started, ["1", "2", "3"]);
  await r.end("1");
  await r.end("3");
  assert.deepEqual(await Promise.all(done), ["1", "2", "3"]);
  assert.equal(schedule.running, 0);
});

Deno.test("WriteSchedule keeps the order of writes that share a trace, and lets others pass", async () => {
  const schedule = new WriteSchedule(3);
  const r = new Recorder();
  const done = [
    schedule.run(traces("a", "b"), r.op("1")),
    schedule.run(traces("b", "c"), r.op("2")),
    // Shares "c" with 2, which waits: it waits too, though 1 does not touch "c".
    schedule.run(traces("c"), r.op("3")),
    schedule.run(traces("d"), r.op("4")),
  ];
  await settle();
  assert.deepEqual(r.started, ["1", "4"]);
  await r.end("4");
  assert.deepEqual(r.started, ["1", "4"]);
  await r.end("1");
  assert.deepEqual(r.started, ["1", "4", "2"]);
  await r.end("2");
  assert.deepEqual(r.started, ["1", "4", "2", "3"]);
  await r.end("3");
  await Promise.all(done);
});

Deno.test("WriteSchedule runs an exclusive operation alone, after those before it", async () => {
  const schedule = new WriteSchedule(4);
  const r = new Recorder();
  const done = [
    schedule.run(traces("a"), r.op("1")),
    schedule.run("exclusive", r.op("sweep")),
    schedule.run(traces("b"), r.op("2")),
  ];
  await settle();
  assert.deepEqual(r.started, ["1"]);
  await r.end("1");
  assert.deepEqual(r.started, ["1", "sweep"]);
  assert.equal(schedule.running, 1);
  await r.end("sweep");
  assert.deepEqual(r.started, ["1", "sweep", "2"]);
  await r.end("2");
  await Promise.all(done);
});

Deno.test("WriteSchedule with a limit of 1 runs everything in call order", async () => {
  const schedule = new WriteSchedule(1);
  const r = new Recorder();
  const done = ["1", "2", "3"].map((name, i) => schedule.run(traces(String(i)), r.op(name)));
  await settle();
  for (const name of ["1", "2", "3"]) {
    assert.deepEqual(r.started.at(-1), name);
    assert.equal(schedule.running, 1);
    await r.end(name);
  }
  await Promise.all(done);
});

Deno.test("WriteSchedule passes a failure on and frees its place", async () => {
  const schedule = new WriteSchedule(1);
  const failing = schedule.run(traces("a"), () => Promise.reject(new Error("refused")));
  const thrown = schedule.run(traces("a"), () => {
    throw new Error("thrown before any promise");
  });
  const next = schedule.run(traces("a"), () => Promise.resolve("stored"));
  await assert.rejects(failing, /refused/);
  await assert.rejects(thrown, /thrown before any promise/);
  assert.equal(await next, "stored");
  assert.throws(() => new WriteSchedule(0), /at least 1/);
});
