/**
 * The Logs page's status: how many records are listed (of how many in the window, and when they
 * were read, while not live), a loader while a new list is read, why the list is not everything
 * (paused, capped), and the last read's error. Each part reads only the signals it shows.
 *
 * @module
 */
import { Alert, Button, Group, Loader, Text } from "@mantine/core";
import { useComputed } from "@preact/signals";
import { memo } from "preact/compat";
import { formatClock } from "../../utils/format.ts";
import { oldestFirst } from "../../utils/log_query.ts";
import { windowPhrase } from "../../utils/time_window.ts";
import type { LogStreamState } from "../../utils/log_stream_state.ts";

const shown = (n: number) => n.toLocaleString("en-US");

export const LogStatusLine = memo(function LogStatusLine({ state }: { state: LogStreamState }) {
  const count = state.items.value.length;
  const live = state.live.value;
  const fetchedAt = state.fetchedAt.value;
  const note = state.note.value;
  return (
    <Group gap="xs" justify="space-between" wrap="nowrap" style={{ flex: 1 }}>
      <Group gap="xs" wrap="nowrap">
        <Text size="sm" c="dimmed" data-log-count>
          {live
            ? `${shown(count)} records`
            : `${shown(count)} of ${shown(state.total.value)}${
              state.totalCapped.value ? "+" : ""
            } records ${windowPhrase(state.filters.value)}`}
          {!live && fetchedAt !== null &&
            ` · updated ${formatClock(new Date(fetchedAt).toISOString()).slice(0, 8)}`}
        </Text>
        {state.loading.value && <Loader size="xs" aria-label="Loading" />}
      </Group>
      {note && (
        <Group gap="xs" wrap="nowrap">
          <Text size="sm" c="orange.8" data-cap-note>{note}</Text>
          {state.paged.value && !live && (
            <Button
              size="compact-sm"
              variant="light"
              onClick={() => void state.refresh()}
              data-first-page
            >
              {oldestFirst(state.filters.value) ? "Back to the oldest" : "Back to the newest"}
            </Button>
          )}
        </Group>
      )}
    </Group>
  );
});

/** The last read's error; retried with the periodic read when there is a list to keep. */
export const LogError = memo(function LogError(
  { state, hadPage }: {
    state: LogStreamState; /** The server read a first page. */
    hadPage: boolean;
  },
) {
  const retrying = useComputed(() =>
    !state.live.value && (hadPage || state.items.value.length > 0)
  );
  const error = state.error.value;
  if (error === null) return null;
  return (
    <Alert color="red" variant="light" title="Cannot load logs" data-log-error>
      {error}
      {retrying.value ? " (retrying every 10 s)" : ""}
    </Alert>
  );
});
