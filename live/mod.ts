/**
 * The live log stream of `GET /ws`: the hub that batches accepted log records to WebSocket
 * clients (see `hub.ts`), and on PostgreSQL the feed that brings it the records other replicas
 * committed (see `cluster_feed.ts`).
 *
 * @module
 */
export {
  ClusterFeed,
  type ClusterFeedOptions,
  type ClusterFeedStats,
  type CommittedLog,
  type IdWindow,
  LIVE_LOGS_CHANNEL,
} from "./cluster_feed.ts";
export {
  CLOSE_GOING_AWAY,
  CLOSE_TOO_SLOW,
  LiveHub,
  type LiveHubObserver,
  type LiveHubOptions,
  type LiveHubStats,
  type LiveLogEntry,
} from "./hub.ts";
