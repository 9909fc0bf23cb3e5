/**
 * The Logs page's filters: the filter bar (service, time range, minimum severity, and a search box
 * that writes to the URL once typing pauses), and the filters that come with a link (a trace, a
 * span, an absolute window), each shown as a chip with a way to drop it. Both read the filters
 * from the page's state and write them to the URL through `onFilters`.
 *
 * @module
 */
import { Badge, CloseButton, Group, Select, TextInput } from "@mantine/core";
import type { ReadonlySignal } from "@preact/signals";
import { memo } from "preact/compat";
import { FilterBar } from "../page/FilterBar.tsx";
import { useTypedValue } from "../hooks/use_typed_value.ts";
import {
  hasWindow,
  type LogFilters,
  oldestFirst,
  ORDER_OPTIONS,
  SEVERITY_OPTIONS,
} from "../../utils/log_query.ts";
import { windowWords } from "../../utils/time_window.ts";
import { parseTextQuery, TEXT_QUERY_SYNTAX } from "../../utils/text_query.ts";

/** What is wrong with a typed search, as the API would refuse it; undefined when it reads. */
function searchProblem(text: string): string | undefined {
  if (text === "") return undefined;
  try {
    parseTextQuery(text);
    return undefined;
  } catch (error) {
    // The first part of the message: the syntax is in the box's title.
    return error instanceof SyntaxError
      ? error.message.replace(/ \(the syntax: .*$/, "")
      : undefined;
  }
}

/** Writes filters to the URL: a history entry, or in place of the current one (`replace`). */
export type SetFilters = (patch: Partial<LogFilters>, replace?: boolean) => void;

/**
 * The search box: what is typed shows at once and goes to the URL (in place) once typing pauses
 * or on Enter; the clear button empties it at once, as a history entry.
 */
function SearchField({ search, onFilters }: { search: string; onFilters: SetFilters }) {
  const [text, change, settle] = useTypedValue(
    search,
    (value) => onFilters({ search: value }, true),
  );
  return (
    <TextInput
      label="Search"
      placeholder='words "a phrase" -not'
      aria-label="Search messages"
      title={`Search the messages: ${TEXT_QUERY_SYNTAX}, ignoring case`}
      error={searchProblem(text)}
      value={text}
      onChange={(event: Event) => change((event.currentTarget as HTMLInputElement).value)}
      onKeyDown={(event: KeyboardEvent) => {
        if (event.key === "Enter") settle();
      }}
      rightSection={text
        ? (
          <CloseButton
            size="sm"
            aria-label="Clear the search"
            onClick={() => {
              onFilters({ search: "" });
              // Cancels the typing's pending report (the URL is already without a search).
              settle("");
            }}
          />
        )
        : undefined}
      w={260}
    />
  );
}

export const LogFilterBar = memo(function LogFilterBar(
  { services, filters, onFilters }: {
    services: string[];
    filters: ReadonlySignal<LogFilters>;
    onFilters: SetFilters;
  },
) {
  const current = filters.value;
  return (
    <FilterBar
      services={services}
      service={current.service}
      window={current}
      onChange={onFilters}
    >
      <Select
        label="Severity"
        placeholder="Any severity"
        aria-label="Minimum severity"
        data={SEVERITY_OPTIONS}
        value={current.severity || null}
        onChange={(value: string | null) => onFilters({ severity: value ?? "" })}
        clearable
        w={180}
        comboboxProps={{ withinPortal: true }}
      />
      <SearchField search={current.search} onFilters={onFilters} />
      <Select
        label="Order"
        aria-label="Order"
        data={ORDER_OPTIONS}
        value={oldestFirst(current) ? "asc" : "desc"}
        onChange={(value: string | null) => onFilters({ order: value ?? "desc" })}
        allowDeselect={false}
        w={150}
        comboboxProps={{ withinPortal: true }}
        data-log-order
      />
    </FilterBar>
  );
});

/** A filter that came with the URL (a trace, a span, a window), shown with a way to drop it. */
function FilterChip(
  { label, title, clear, onClear, data }: {
    label: string;
    title?: string;
    clear: string;
    onClear(): void;
    data: "trace" | "span" | "window";
  },
) {
  return (
    <Badge
      size="md"
      variant="light"
      color="indigo"
      tt="none"
      title={title}
      {...{ [`data-${data}-filter`]: true }}
      rightSection={<CloseButton size="xs" aria-label={clear} onClick={onClear} />}
    >
      {label}
    </Badge>
  );
}

/** The filters that come with a link (a trace, a span, a window), each with a way to drop it. */
export const LinkFilters = memo(function LinkFilters(
  { filters, onFilters }: { filters: ReadonlySignal<LogFilters>; onFilters: SetFilters },
) {
  const current = filters.value;
  if (!current.trace_id && !current.span_id && !hasWindow(current)) return null;
  return (
    <Group gap={6} wrap="nowrap">
      {current.trace_id && (
        <FilterChip
          label={`Trace ${current.trace_id.slice(0, 8)}…`}
          title={current.trace_id}
          clear="Show logs of every trace"
          onClear={() => onFilters({ trace_id: "", span_id: "" })}
          data="trace"
        />
      )}
      {current.span_id && (
        <FilterChip
          label={`Span ${current.span_id.slice(0, 8)}…`}
          title={current.span_id}
          clear="Show logs of every span"
          onClear={() => onFilters({ span_id: "" })}
          data="span"
        />
      )}
      {hasWindow(current) && (
        <FilterChip
          label={windowWords(current)}
          clear={`Back to the last ${current.range}`}
          onClear={() => onFilters({ start: "", end: "" })}
          data="window"
        />
      )}
    </Group>
  );
});
