/**
 * The Logs page's header: its title, the live stream's state (connecting, open with its rate of
 * records per second, or waiting to reconnect, and why), Pause and Resume while live (the list holds
 * still, wherever it is scrolled, and counts what waits) and the Live switch.
 *
 * @module
 */
import { Badge, Button, Group, Switch, Text, Title } from "@mantine/core";
import type { ReadonlySignal } from "@preact/signals";
import { memo } from "preact/compat";
import type { LiveStatus } from "../hooks/live_socket.ts";
import { formatCount } from "../../utils/format.ts";
import type { LogStreamState } from "../../utils/log_stream_state.ts";
import { oldestFirst } from "../../utils/log_query.ts";
import type { SetFilters } from "./LogFilters.tsx";

/** The stream's state; the only part that re-renders with the rate, once a second. */
function LiveBadge({ status, rate }: { status: LiveStatus; rate: ReadonlySignal<number> }) {
  switch (status.state) {
    case "open":
      return (
        <Badge color="teal" variant="light" tt="none" data-live-state="open">
          ● Live · {formatCount(rate.value)}/s
        </Badge>
      );
    case "connecting":
      return (
        <Badge color="gray" variant="light" tt="none" data-live-state="connecting">
          Connecting…
        </Badge>
      );
    case "waiting":
      return (
        <Group gap={6} wrap="nowrap">
          <Badge color="orange" variant="light" tt="none" data-live-state="waiting">
            Reconnecting in {Math.max(1, Math.round(status.retryInMs / 1000))} s
          </Badge>
          <Text size="xs" c="dimmed" lineClamp={1} maw={300}>{status.reason}</Text>
        </Group>
      );
    default:
      return null;
  }
}

export const LiveControls = memo(function LiveControls(
  { state, status, onFilters }: {
    state: LogStreamState;
    status: LiveStatus;
    /** Live lists the newest first: switching it on sets that order. */
    onFilters: SetFilters;
  },
) {
  return (
    <Group justify="space-between" align="center" wrap="nowrap">
      <Title order={2}>Logs</Title>
      <Group gap="sm" wrap="nowrap">
        <LiveBadge status={status} rate={state.rate} />
        {state.live.value && (
          <Button
            size="compact-sm"
            variant={state.held.value ? "filled" : "default"}
            aria-pressed={state.held.value}
            onClick={() => state.setHeld(!state.held.value)}
            data-live-pause
          >
            {state.held.value ? "Resume" : "Pause"}
          </Button>
        )}
        <Switch
          label="Live"
          aria-label="Live"
          size="md"
          checked={state.live.value}
          onChange={(event: Event) => {
            const on = (event.currentTarget as HTMLInputElement).checked;
            if (on && oldestFirst(state.filters.peek())) onFilters({ order: "desc" });
            state.setLive(on);
          }}
          data-live-toggle
        />
      </Group>
    </Group>
  );
});
