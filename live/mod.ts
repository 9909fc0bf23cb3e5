/**
 * The live log stream of `GET /ws`: the hub that batches accepted log records to WebSocket
 * clients (see `hub.ts`).
 *
 * @module
 */
export {
  CLOSE_GOING_AWAY,
  CLOSE_TOO_SLOW,
  LiveHub,
  type LiveHubObserver,
  type LiveHubOptions,
  type LiveHubStats,
  type LiveLogEntry,
} from "./hub.ts";
