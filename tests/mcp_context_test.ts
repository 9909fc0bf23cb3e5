/**
 * The MCP server's modules are loaded at the first request to `/mcp` (routes/mod.ts), and they keep
 * the async context they were first evaluated in for work they do later. Loaded inside a request,
 * they handed that request's QUERY_TIMEOUT deadline to every later request: a second app's first
 * tool read was stopped at once ("must end within 0 ms"). This test must be the first in its
 * process to use `/mcp`, hence a file of its own that imports none of the MCP modules.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createStore } from "../store/mod.ts";
import { databaseConfig } from "./databases.ts";
import { testApp } from "./app.ts";

/** One app with QUERY_TIMEOUT `timeoutMs`: initialize, then `list_services`, over HTTP. */
async function listServices(timeoutMs: number): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "argus-mcp-context-" });
  const store = await createStore(databaseConfig("sqlite", "mcp.db"), { dataDir: dir });
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    await store.migrate();
    const app = testApp(store, { queryTimeoutMs: timeoutMs });
    // Over a port, as Argus serves it (called directly, the app did not show the fault).
    server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app);
    const port = server.addr.port;
    const post = async (message: Record<string, unknown>) => {
      const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", ...message }),
      });
      assert.equal(response.status, 200);
      return await response.json();
    };
    await post({
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "test", version: "1" },
      },
    });
    const answer = await post({
      id: 2,
      method: "tools/call",
      params: { name: "list_services", arguments: {} },
    });
    return answer.result;
  } finally {
    await server?.shutdown();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("MCP: a request's QUERY_TIMEOUT deadline does not outlive it into later requests", async () => {
  // The first request loads the MCP modules, with a deadline of 300 ms.
  assert.equal((await listServices(300)).isError, undefined);
  await new Promise((resolve) => setTimeout(resolve, 500));
  // Well within its own 10 s, a later request's read must not meet the first one's deadline.
  const later = await listServices(10_000);
  assert.equal(later.isError, undefined, JSON.stringify(later));
  assert.deepEqual(JSON.parse((later.content as { text: string }[])[0]!.text), { services: [] });
});
