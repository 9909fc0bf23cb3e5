/**
 * The entry point of the binary built by `deno task compile`. The binary is Argus (main.ts), or,
 * started with GATEWAY_FLAG, its OTLP/gRPC gateway: the supervisor cannot `deno run` the gateway
 * module inside a compiled binary, so it starts the binary again (ingest/grpc_supervisor.ts).
 *
 * Both imports are dynamic, so the gateway process loads only grpc-js, and the core never does;
 * they are string literals, so `deno compile` embeds both module graphs.
 *
 * @module
 */
import { GATEWAY_FLAG } from "../ingest/grpc_supervisor.ts";

if (Deno.args[0] === GATEWAY_FLAG) {
  // The binary carries Argus's permissions; the gateway needs only the network and its settings,
  // as under `deno run --allow-net --allow-env`. Reads stay: modules load from the embedded files.
  await Deno.permissions.revoke({ name: "write" });
  await Deno.permissions.revoke({ name: "run" });
  const { runGatewayProcess } = await import("../ingest/grpc_gateway.ts");
  await runGatewayProcess();
} else {
  await import("../main.ts");
}
