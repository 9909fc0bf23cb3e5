/**
 * The trace list's filter card: service and time range (the shared filter bar, whose service menu
 * follows the window), status, span name text, duration bounds, attribute chips and a way to
 * clear them all. It reads the query as a signal (utils/trace_query.ts) and reports changes as
 * patches. Each part reads only the values it shows (signals' computed values), so a change of
 * one filter, or a new page of results, leaves the other fields and the chips alone. Text and
 * number fields report once typing pauses (components/hooks/use_typed_value.ts).
 *
 * @module
 */
import { Button, Card, Group, Pill, SegmentedControl, Stack, TextInput } from "@mantine/core";
import {
  type ReadonlySignal,
  type Signal,
  useComputed,
  useSignal,
  useSignalEffect,
} from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { getJson } from "../../utils/api.ts";
import { parseDurationFilterMs } from "../../utils/format.ts";
import {
  hasFilters,
  parseAttributeChip,
  type TraceQuery,
  traceWindowSearch,
} from "../../utils/trace_query.ts";
import { useTypedValue } from "../hooks/use_typed_value.ts";
import { FilterBar } from "../page/FilterBar.tsx";
import { windowWords } from "../../utils/time_window.ts";

type Query = ReadonlySignal<TraceQuery>;
type OnChange = (patch: Partial<TraceQuery>) => void;

export interface TraceFiltersProps {
  query: Query;
  /** The services of the query's window, as the server found them. */
  services: string[];
  onChange: OnChange;
  /** Removes every filter (utils/trace_query.ts's `clearFilters`). */
  onClear(): void;
  /** Shown at the end of the first row: the refresh control. */
  children?: ComponentChildren;
}

/** The services of the query's window: the server's first, loaded again when the window changes. */
function useWindowServices(query: Query, initial: string[]): Signal<string[]> {
  const services = useSignal(initial);
  const windowSearch = useComputed(() => traceWindowSearch(query.value));
  const loaded = useRef(windowSearch.peek());
  useSignalEffect(() => {
    const search = windowSearch.value;
    if (search === loaded.current) return;
    loaded.current = search;
    const controller = new AbortController();
    getJson<{ services: string[] }>(`/api/metadata/services${search}`, {}, {
      signal: controller.signal,
    }).then((body) => {
      services.value = body.services;
    }).catch(() => {/* the filter keeps the services it had (or a newer window's load) */});
    return () => controller.abort();
  });
  return services;
}

export function TraceFilters({ query, services, onChange, onClear, children }: TraceFiltersProps) {
  const windowServices = useWindowServices(query, services);
  const { service, status } = query.value;
  return (
    <Card withBorder padding="md">
      <Stack gap="sm">
        <FilterBar
          services={windowServices.value}
          service={service}
          window={query.value}
          onChange={onChange}
        >
          <SegmentedControl
            aria-label="Status"
            data-status-filter
            data={[
              { value: "", label: "All" },
              { value: "ok", label: "OK" },
              { value: "error", label: "Errors" },
            ]}
            value={status}
            onChange={(value: string) => onChange({ status: value })}
          />
          <Group ml="auto" align="center">{children}</Group>
        </FilterBar>
        <FilterFields query={query} onChange={onChange} onClear={onClear} />
        <FilterChips query={query} onChange={onChange} />
      </Stack>
    </Card>
  );
}

/** The second row: typed filters, the attribute input and "Clear filters" when any is set. */
function FilterFields(
  { query, onChange, onClear }: { query: Query; onChange: OnChange; onClear(): void },
) {
  const filtered = useComputed(() => hasFilters(query.value));
  return (
    <Group gap="sm" align="end" wrap="wrap">
      <TypedField
        query={query}
        field="search"
        onChange={onChange}
        label="Span name"
        placeholder="Search span names"
        aria-label="Search span names"
        w={240}
        data-search
      />
      <TypedField
        query={query}
        field="min_duration_ms"
        onChange={onChange}
        label="Min duration"
        placeholder="ms, or 1.2s"
        aria-label="Minimum duration: milliseconds, or with a unit such as 1.2s or 2m"
        w={140}
        data-min-duration
      />
      <TypedField
        query={query}
        field="max_duration_ms"
        onChange={onChange}
        label="Max duration"
        placeholder="ms, or 1.2s"
        aria-label="Maximum duration: milliseconds, or with a unit such as 1.2s or 2m"
        w={140}
        data-max-duration
      />
      <AttributeInput query={query} onChange={onChange} />
      {filtered.value && (
        <Button variant="subtle" size="sm" onClick={onClear} data-clear-filters>
          Clear filters
        </Button>
      )}
    </Group>
  );
}

/** A text field over one of the query's text values, reported once typing pauses. */
function TypedField(
  { query, field, onChange, ...input }: {
    query: Query;
    field: "search" | "min_duration_ms" | "max_duration_ms";
    onChange: OnChange;
    label: string;
    placeholder: string;
    "aria-label": string;
    w: number;
    [data: `data-${string}`]: boolean;
  },
) {
  const value = useComputed(() => query.value[field]);
  const [error, setError] = useState<string | null>(null);
  // A duration is milliseconds or has a unit (`1.2s`, `2m`); the URL holds milliseconds.
  const [text, setText] = useTypedValue(value.value, (typed) => {
    if (field === "search") return onChange({ search: typed });
    const ms = typed.trim() === "" ? "" : parseDurationFilterMs(typed);
    if (ms === undefined) {
      setError("Use milliseconds or a unit: 250, 250ms, 1.2s, 2m");
      return;
    }
    setError(null);
    onChange({ [field]: String(ms) });
  });
  return (
    <TextInput
      {...input}
      value={text}
      error={error}
      data-duration-error={error === null ? undefined : ""}
      onChange={(event: Event) => setText((event.currentTarget as HTMLInputElement).value)}
    />
  );
}

/** `key=value`, then Enter: a chip; anything else is refused in place. */
function AttributeInput({ query, onChange }: { query: Query; onChange: OnChange }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const add = () => {
    const chip = parseAttributeChip(text);
    if (chip === undefined) {
      setError("Use key=value, e.g. http.response.status_code=500");
      return;
    }
    setError(null);
    setText("");
    const { attr } = query.peek();
    if (!attr.includes(chip)) onChange({ attr: [...attr, chip] });
  };
  return (
    <TextInput
      label="Attribute"
      placeholder="key=value, then Enter"
      aria-label="Attribute filter key=value"
      value={text}
      error={error}
      onChange={(event: Event) => {
        setText((event.currentTarget as HTMLInputElement).value);
        setError(null);
      }}
      onKeyDown={(event: KeyboardEvent) => {
        if (event.key === "Enter") {
          event.preventDefault();
          add();
        }
      }}
      w={280}
      data-attr-input
    />
  );
}

/** The custom time window (removable: back to the range) and the attribute chips. */
function FilterChips({ query, onChange }: { query: Query; onChange: OnChange }) {
  const attrs = useComputed(() => query.value.attr);
  const custom = useComputed(() => {
    const q = query.value;
    return q.start !== "" || q.end !== "" ? windowWords(q) : "";
  });
  if (attrs.value.length === 0 && custom.value === "") return null;
  return (
    <Group gap={6} data-chips>
      {custom.value !== "" && (
        <Pill
          withRemoveButton
          onRemove={() => onChange({ range: query.peek().range })}
          removeButtonProps={{ "aria-label": "Back to a time range" }}
        >
          {custom.value}
        </Pill>
      )}
      {attrs.value.map((attr) => (
        <Pill
          key={attr}
          withRemoveButton
          data-attr-chip={attr}
          onRemove={() => onChange({ attr: attrs.peek().filter((a) => a !== attr) })}
          removeButtonProps={{ "aria-label": `Remove filter ${attr}` }}
        >
          <span className="argus-mono">{attr}</span>
        </Pill>
      ))}
    </Group>
  );
}
