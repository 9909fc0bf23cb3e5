import assert from "node:assert/strict";
import { Stops } from "./stops.ts";

Deno.test("Stops runs every step once, the last added first, past one that throws", async () => {
  const warned: string[] = [];
  const stops = new Stops({ warn: (message, fields) => warned.push(`${message} ${fields?.part}`) });
  const ran: string[] = [];
  stops.add("lock", () => ran.push("lock"));
  stops.add("store", async () => {
    await Promise.resolve();
    ran.push("store");
  });
  stops.add("broken", () => {
    throw new Error("already closed");
  });
  stops.add("receiver", () => ran.push("receiver"));
  await stops.run();
  assert.deepEqual(ran, ["receiver", "store", "lock"]);
  assert.deepEqual(warned, ["a part of Argus did not stop cleanly broken"]);
  await stops.run();
  assert.deepEqual(ran, ["receiver", "store", "lock"], "each step runs once");
});
