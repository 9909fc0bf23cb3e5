import assert from "node:assert/strict";
import { eventJson, linkJson, parseEvents, parseLinks } from "./events_links.ts";

Deno.test("eventJson() and linkJson() write what parseEvents() and parseLinks() read", () => {
  const events = `[${eventJson(1_700_000_000_000_000_001n, 'ex"ception', '{"a":1}', 2)},${
    eventJson("5", "", "{}", 0)
  }]`;
  assert.deepEqual(parseEvents(events), [
    {
      timeUnixNano: "1700000000000000001",
      name: 'ex"ception',
      attributes: { a: 1 },
      droppedAttributesCount: 2,
    },
    { timeUnixNano: "5", name: "", attributes: {}, droppedAttributesCount: 0 },
  ]);
  const links = `[${linkJson("0af7", "b7ad", "k=v", '{"b":"c"}', 1, 257)}]`;
  assert.deepEqual(parseLinks(links), [
    {
      traceId: "0af7",
      spanId: "b7ad",
      traceState: "k=v",
      attributes: { b: "c" },
      droppedAttributesCount: 1,
      flags: 257,
    },
  ]);
});
