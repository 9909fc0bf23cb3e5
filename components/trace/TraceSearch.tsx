/**
 * The search box above the waterfall, as Jaeger's: matching rows are highlighted, the current one
 * is scrolled to; Enter and the arrows go to the next match, Shift+Enter to the previous one, and
 * "3 of 12" says where you are. Matches a span's name, service, or an attribute or event value
 * (components/trace/use_trace_search.ts).
 *
 * @module
 */
import { Button, Group, Text, TextInput } from "@mantine/core";
import { formatCount } from "../../utils/format.ts";
import type { TraceState } from "./use_trace_state.ts";
import { useTraceSearch } from "./use_trace_search.ts";

function status(state: TraceState, search: ReturnType<typeof useTraceSearch>): string {
  if (search.text.value.trim() === "") return "";
  if (search.error.value !== null) return search.error.value;
  if (search.busy.value) return "Searching…";
  const count = state.matches.value.length;
  if (count === 0) return "No matches";
  const total = `${formatCount(count)}${search.truncated.value ? "+" : ""}`;
  return `${formatCount(state.currentMatch.value + 1)} of ${total}`;
}

export function TraceSearch({ state }: { state: TraceState }) {
  const search = useTraceSearch(state);
  const none = state.matches.value.length === 0;
  return (
    <Group gap="xs" wrap="nowrap" data-trace-search>
      <TextInput
        size="xs"
        w={260}
        placeholder="Find in trace: name, attribute value"
        aria-label="Find spans in this trace by name, service or attribute value"
        value={search.text.value}
        onInput={(event: Event) => search.setText((event.currentTarget as HTMLInputElement).value)}
        onKeyDown={(event: KeyboardEvent) => {
          if (event.key !== "Enter") return;
          event.preventDefault();
          search.step(event.shiftKey ? -1 : 1);
        }}
      />
      <Button
        size="xs"
        variant="default"
        px={8}
        disabled={none}
        aria-label="Previous match"
        onClick={() => search.step(-1)}
      >
        ↑
      </Button>
      <Button
        size="xs"
        variant="default"
        px={8}
        disabled={none}
        aria-label="Next match"
        onClick={() => search.step(1)}
      >
        ↓
      </Button>
      <Text size="xs" c={search.error.value ? "red.8" : "dimmed"} miw={72} data-trace-search-status>
        {status(state, search)}
      </Text>
    </Group>
  );
}
