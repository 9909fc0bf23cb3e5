/**
 * `/mcp`: Argus as an MCP server (the Model Context Protocol's Streamable HTTP transport, through
 * the official `@modelcontextprotocol/sdk`), so that a coding agent asks Argus "why did checkout
 * fail five minutes ago?" with the tools of routes/mcp_tools.ts.
 *
 * Stateless: each POST carries one JSON-RPC message (or a batch) and gets its answer as JSON, with
 * a server made for it; no session, no server-sent stream, so GET and DELETE are 405 as the
 * transport answers them. It sits behind the same edge as the API (routes/mod.ts): the Host check,
 * the Origin check of state changes (a POST from another origin's page: 403, as MCP's security
 * guidance asks), API_TOKEN (401 without it), NUL check and QUERY_TIMEOUT. Argus binds to
 * 127.0.0.1 by default (HOST).
 *
 * @module
 */
// The SDK's export map points types at `*.js.d.ts`, which Deno does not find: each import
// names its types without the extension.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types";
import { HttpError } from "./http_error.ts";
import { errorMessage } from "../utils/errors.ts";
import { VERSION } from "../lib/version.ts";
import {
  DEFAULT_MCP_MAX_OUTPUT_BYTES,
  INSTRUCTIONS,
  type McpToolDeps,
  TOOLS,
} from "./mcp_tools.ts";

export interface McpOptions {
  /** MCP_MAX_OUTPUT_BYTES: the most bytes of JSON one tool answers (64 KiB when undefined). */
  maxOutputBytes?: number;
}

/** A server with Argus's tools, answering from `deps`. */
export function createMcpServer(deps: McpToolDeps, options: McpOptions): McpServer {
  const server = new McpServer(
    { name: "argus", title: "Argus", version: VERSION },
    { instructions: INSTRUCTIONS },
  );
  for (const tool of TOOLS) {
    server.registerTool(tool.name, {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    }, async (args: Record<string, unknown>): Promise<CallToolResult> => {
      try {
        const maxBytes = options.maxOutputBytes ?? DEFAULT_MCP_MAX_OUTPUT_BYTES;
        const answer = await tool.run(args, deps, maxBytes);
        return { content: [{ type: "text", text: JSON.stringify(answer) }] };
      } catch (error) {
        // A bad argument (400), a trace or record not stored (404): the API's message, which
        // names the parameter and what it accepts, for the model to act on. Anything else
        // (the database away) is the same, marked as Argus's fault.
        const status = error instanceof HttpError ? error.status : 500;
        const text = status < 500
          ? errorMessage(error)
          : `Argus could not answer now (${errorMessage(error)}): try again shortly`;
        return { isError: true, content: [{ type: "text", text }] };
      }
    });
  }
  return server;
}

/** Answers one request to `/mcp`. */
export async function handleMcp(
  request: Request,
  deps: McpToolDeps,
  options: McpOptions,
): Promise<Response> {
  const server = createMcpServer(deps, options);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}
