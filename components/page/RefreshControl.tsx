/**
 * The auto-refresh control of a page: when the data last loaded ("Updated 12 s ago"), a spinner
 * while it loads, a button to pause or resume the refresh and one to refresh now. Works with
 * components/hooks/auto_refresh.ts.
 *
 * @module
 */
import { ActionIcon, Button, Group, Loader, Text } from "@mantine/core";
import { useNow } from "../hooks/auto_refresh.ts";
import { formatAgo } from "../../utils/format.ts";

export interface RefreshControlProps {
  updatedAt: number;
  loading: boolean;
  paused: boolean;
  intervalMs: number;
  onPausedChange(paused: boolean): void;
  onRefresh(): void;
}

function PauseIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      <rect x="2" y="1.5" width="3" height="9" rx="0.8" fill="currentColor" />
      <rect x="7" y="1.5" width="3" height="9" rx="0.8" fill="currentColor" />
    </svg>
  );
}

function PlayIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      <path
        d="M3 1.8v8.4a.6.6 0 0 0 .9.5l6.6-4.2a.6.6 0 0 0 0-1L3.9 1.3a.6.6 0 0 0-.9.5z"
        fill="currentColor"
      />
    </svg>
  );
}

function RefreshIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
      <path
        d="M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2.5v3h-3"
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

export function RefreshControl(
  { updatedAt, loading, paused, intervalMs, onPausedChange, onRefresh }: RefreshControlProps,
) {
  // Before hydration the server's clock is the only one: "just now" on both sides.
  const now = useNow(1000, updatedAt);
  const seconds = Math.round(intervalMs / 1000);
  return (
    <Group gap="xs" wrap="nowrap" data-refresh-control data-paused={paused ? "true" : "false"}>
      <span style={{ width: 16, display: "inline-flex", justifyContent: "center" }}>
        {loading && <Loader size={14} aria-label="Loading" />}
      </span>
      <Text size="sm" c="dimmed" aria-live="polite">
        {paused ? "Paused · " : ""}Updated{" "}
        <time
          dateTime={new Date(updatedAt).toISOString()}
          data-updated-at={String(updatedAt)}
          title={new Date(updatedAt).toISOString()}
        >
          {formatAgo(now - updatedAt)}
        </time>
      </Text>
      {
        /* Native titles, not Mantine's Tooltip: its positioning code would be most of what this
          control costs each page (docs/benchmarks.md, bench:ui-js). */
      }
      <Button
        size="compact-sm"
        variant={paused ? "filled" : "default"}
        leftSection={paused ? <PlayIcon /> : <PauseIcon />}
        aria-pressed={paused}
        title={paused ? `Refresh every ${seconds} s again` : `Stop refreshing every ${seconds} s`}
        onClick={() => onPausedChange(!paused)}
      >
        {paused ? "Resume" : "Pause"}
      </Button>
      <ActionIcon
        variant="default"
        size={26}
        aria-label="Refresh now"
        title="Refresh now"
        onClick={onRefresh}
      >
        <RefreshIcon />
      </ActionIcon>
    </Group>
  );
}
