/**
 * The Metrics page: the instruments of a time window grouped by service (name, type, unit,
 * description), filtered by service and by name, and the selected instrument's chart
 * (components/metrics/InstrumentChart.tsx) with its aggregation and group-by pickers, its
 * attribute filters (picked from its series' attributes, shown as removable chips, applied to the
 * chart and the exemplars) and its exemplars. Everything lives in the URL
 * (`?instrument=<key>&agg=…&group_by=…&attr=key=value…`, the window as on the other pages); the
 * data refreshes itself every 15 s (pausable). The server renders the first data
 * (routes/pages/metrics.tsx).
 *
 * @module
 */
import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Grid,
  Group,
  Pill,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useCallback } from "preact/hooks";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { useUrlSignal } from "../components/hooks/url_state.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { RefreshedHeader } from "../components/page/RefreshedHeader.tsx";
import { InstrumentChart } from "../components/metrics/InstrumentChart.tsx";
import {
  attrFilterChoices,
  loadMetricsData,
  METRICS_URL,
  type MetricsData,
  type MetricsFilters,
  type SelectedInstrument,
  withAttrFilter,
} from "../components/metrics/metrics_data.ts";
import { ApiError, getJson } from "../utils/api.ts";
import { boundsDiffer } from "../utils/metric_chart.ts";
import { windowWords } from "../utils/time_window.ts";
import {
  MAX_ATTRIBUTE_FILTERS,
  type WireExemplars,
  type WireInstrument,
  type WireInstrumentChart,
  type WireInstrumentDetail,
  type WireInstrumentList,
} from "../utils/wire.ts";

export interface MetricsProps extends Record<string, unknown> {
  initial: MetricsData | null;
  initialError: string | null;
  filters: MetricsFilters;
  loadedAt: number;
  refreshMs?: number;
}

function loadMetrics(filters: MetricsFilters, signal: AbortSignal): Promise<MetricsData> {
  const get = <T,>(path: string, query: URLSearchParams) =>
    getJson<T>(`${path}?${query}`, {}, { signal });
  return loadMetricsData(filters, {
    list: (query) => get<WireInstrumentList>("/api/instruments", query),
    detail: (key, query) =>
      get<WireInstrumentDetail>(`/api/instruments/${encodeURIComponent(key)}`, query),
    chart: (key, query) =>
      get<WireInstrumentChart>(`/api/instruments/${encodeURIComponent(key)}/chart`, query),
    exemplars: (key, query) =>
      get<WireExemplars>(`/api/instruments/${encodeURIComponent(key)}/exemplars`, query),
    // The API's refusal of this instrument or query (400, 404) is shown on the page; others fail.
    refusal: (error) => error instanceof ApiError && error.status < 500 ? error.message : undefined,
  });
}

const TYPE_WORDS: Record<WireInstrument["type"], string> = {
  gauge: "gauge",
  sum: "sum",
  histogram: "histogram",
  exponential_histogram: "exp. histogram",
  summary: "summary",
};

function typeWords(instrument: WireInstrument): string {
  if (instrument.type !== "sum") return TYPE_WORDS[instrument.type];
  return instrument.monotonic ? "counter" : "up-down sum";
}

function InstrumentTable(
  { instruments, selected, onSelect }: {
    instruments: WireInstrument[];
    selected: string;
    onSelect(key: string): void;
  },
) {
  const byService = new Map<string, WireInstrument[]>();
  for (const instrument of instruments) {
    const list = byService.get(instrument.service_name) ?? [];
    list.push(instrument);
    byService.set(instrument.service_name, list);
  }
  return (
    <Stack gap="md" data-instrument-list>
      {[...byService].map(([service, list]) => (
        <Card withBorder padding={0} key={service} data-metrics-service={service}>
          <Text fw={600} size="sm" px="md" py="xs">{service}</Text>
          <Table highlightOnHover verticalSpacing={4}>
            <Table.Tbody>
              {list.map((instrument) => (
                <Table.Tr
                  key={instrument.key}
                  data-instrument={instrument.name}
                  data-instrument-key={instrument.key}
                  aria-selected={instrument.key === selected ? "true" : undefined}
                  bg={instrument.key === selected
                    ? "var(--mantine-primary-color-light)"
                    : undefined}
                >
                  <Table.Td>
                    <a
                      href={`?instrument=${instrument.key}`}
                      onClick={(event: MouseEvent) => {
                        if (event.ctrlKey || event.metaKey) return;
                        event.preventDefault();
                        onSelect(instrument.key);
                      }}
                    >
                      <Text size="sm" fw={500} component="span">{instrument.name}</Text>
                    </a>
                    {instrument.description && (
                      <Text size="xs" c="dimmed" lineClamp={2}>{instrument.description}</Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Badge size="xs" variant="light" color="gray">{typeWords(instrument)}</Badge>
                    {instrument.unit && (
                      <Text size="xs" c="dimmed" component="span" ml={6}>{instrument.unit}</Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ))}
    </Stack>
  );
}

/**
 * The attribute filters: a picker of the instrument's `key=value` pairs (a key already filtered is
 * replaced) and the filters as removable chips.
 */
function AttrFilters(
  { detail, attr, onChange }: {
    detail: WireInstrumentDetail;
    attr: string[];
    onChange(attr: string[]): void;
  },
) {
  const full = attr.length >= MAX_ATTRIBUTE_FILTERS;
  return (
    <>
      <Select
        // A new one after each change, so that the picked choice's text does not stay in it.
        key={attr.join("\u0000")}
        label="Filter"
        aria-label="Attribute filter"
        placeholder={full ? `At most ${MAX_ATTRIBUTE_FILTERS} filters` : "key=value"}
        data={attrFilterChoices(detail.attributes, attr)}
        value={null}
        searchable
        limit={200}
        nothingFoundMessage="No such attribute value"
        disabled={full}
        onChange={(value: string | null) => {
          if (value) onChange(withAttrFilter(attr, value));
        }}
        w={260}
        data-attr-picker
      />
      {attr.length > 0 && (
        <Group gap={6} w="100%" data-chips>
          {attr.map((filter) => (
            <Pill
              key={filter}
              withRemoveButton
              data-attr-chip={filter}
              onRemove={() => onChange(attr.filter((f) => f !== filter))}
              // Mantine hides the remove button from the keyboard and screen readers: not here.
              removeButtonProps={{
                "aria-label": `Remove filter ${filter}`,
                "aria-hidden": false,
                tabIndex: 0,
              }}
            >
              <span className="argus-mono">{filter}</span>
            </Pill>
          ))}
          {attr.length > 1 && (
            <Button
              variant="subtle"
              size="compact-sm"
              onClick={() => onChange([])}
              data-clear-attr
            >
              Clear filters
            </Button>
          )}
        </Group>
      )}
    </>
  );
}

function SelectedPanel(
  { selected, filters, onFilters }: {
    selected: SelectedInstrument;
    filters: MetricsFilters;
    onFilters(patch: Partial<MetricsFilters>): void;
  },
) {
  const { detail, chart, exemplars, chartError } = selected;
  const instrument = detail.instrument;
  return (
    <Card
      withBorder
      padding="md"
      data-selected-instrument={instrument.name}
      data-series-count={chart?.series}
    >
      <Stack gap="sm">
        <div>
          <Title order={3} size="h4">{instrument.name}</Title>
          <Text size="sm" c="dimmed">
            {instrument.service_name} · {typeWords(instrument)}
            {instrument.unit ? ` · ${instrument.unit}` : ""}
            {instrument.temporality !== "none" ? ` · ${instrument.temporality}` : ""}
            {chart === null
              ? ""
              : ` · ${chart.series} series${
                filters.attr.length > 0 ? " matching" : ""
              } · step ${chart.step_seconds}s`}
          </Text>
          {instrument.description && <Text size="sm">{instrument.description}</Text>}
        </div>
        <Group gap="sm" align="end">
          {chart !== null && (
            <Select
              label="Aggregation"
              aria-label="Aggregation"
              data={chart.aggs}
              value={chart.agg}
              allowDeselect={false}
              onChange={(value: string | null) =>
                onFilters({ agg: value === chart.aggs[0] ? "" : value ?? "" })}
              w={140}
              data-agg-picker
            />
          )}
          <Select
            label="Group by"
            aria-label="Group by"
            placeholder="No grouping"
            data={detail.attributes.map((a) => a.key)}
            value={filters.group_by || null}
            clearable
            onChange={(value: string | null) => onFilters({ group_by: value ?? "" })}
            w={200}
            data-group-by-picker
          />
          {(detail.attributes.length > 0 || filters.attr.length > 0) && (
            <AttrFilters
              detail={detail}
              attr={filters.attr}
              onChange={(attr) => onFilters({ attr })}
            />
          )}
        </Group>
        {chart === null || exemplars === null
          ? (
            <Alert
              color="red"
              variant="light"
              title="Cannot chart this instrument"
              data-chart-error
            >
              <Stack gap="xs" align="flex-start">
                <Text size="sm">{chartError}</Text>
                {filters.agg !== "" && (
                  <Button
                    variant="light"
                    size="compact-sm"
                    onClick={() => onFilters({ agg: "" })}
                  >
                    Use the default aggregation
                  </Button>
                )}
              </Stack>
            </Alert>
          )
          : (
            <>
              {boundsDiffer(chart) && (
                <Alert color="yellow" variant="light" data-bounds-differ>
                  Some steps have no percentiles: the series' histogram bucket bounds differ, so
                  their buckets cannot be merged. Group by an attribute to see each series' own.
                </Alert>
              )}
              <InstrumentChart
                chart={chart}
                exemplars={exemplars.exemplars}
                filtered={filters.attr.length > 0}
              />
              {exemplars.exemplars.some((e) => e.trace_id !== null) && (
                <Text size="xs" c="dimmed">
                  Diamonds are exemplars: click one to open its trace.
                </Text>
              )}
            </>
          )}
      </Stack>
    </Card>
  );
}

function NoMetrics({ filters }: { filters: MetricsFilters }) {
  return (
    <Card withBorder padding="xl" data-metrics-empty>
      <Stack gap="sm">
        <Title order={4}>No metrics {windowWords(filters).toLowerCase()}</Title>
        <Text size="sm">
          Argus stores the metrics any OpenTelemetry SDK exports, over OTLP/gRPC or OTLP/HTTP:
        </Text>
        <Code block>
          {`OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317   # gRPC
OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318   # HTTP: POST /v1/metrics (protobuf or JSON)
OTEL_METRICS_EXPORTER=otlp`}
        </Code>
        <Text size="sm">
          Deno sends its own (http.server.request.duration and more) with{" "}
          <Code>OTEL_DENO=true</Code>; <Code>deno task simulate</Code> runs demo services that do.
        </Text>
      </Stack>
    </Card>
  );
}

export default function Metrics(
  { initial, initialError, filters: initialFilters, loadedAt, refreshMs = 15_000 }: MetricsProps,
) {
  const [state, setState] = useUrlSignal(initialFilters, METRICS_URL);
  const filters = state.value;
  const setFilters = useCallback(
    (patch: Partial<MetricsFilters>, replace = false) =>
      setState((current) => ({ ...current, ...patch }), replace),
    [setState],
  );
  const refresh = useAutoRefresh<MetricsData>({
    load: (signal) => loadMetrics(filters, signal),
    key: [
      filters.instrument,
      filters.agg,
      filters.group_by,
      filters.attr.join("\u0001"),
      filters.range,
      filters.start,
      filters.end,
    ]
      .join("\u0000"),
    intervalMs: refreshMs,
    initial,
    initialError,
    initialAt: loadedAt,
    keepEqual: true,
  });
  const { data, loading } = refresh;
  const all = data?.list.instruments ?? [];
  const services = [...new Set(all.map((i) => i.service_name))];
  const q = filters.q.toLowerCase();
  const shown = all.filter((i) =>
    (filters.service === "" || i.service_name === filters.service) &&
    (q === "" || i.name.toLowerCase().includes(q))
  );
  const selected = data?.selected ?? null;
  return (
    <IslandProvider>
      <Stack gap="md" data-metrics data-loading={loading ? "true" : "false"}>
        <RefreshedHeader
          title="Metrics"
          subtitle={`${filters.service || "All services"} · ${
            windowWords(filters)
          } · ${shown.length} instrument${shown.length === 1 ? "" : "s"}`}
          services={services}
          filters={filters}
          onFilters={(patch) => setFilters(patch)}
          refresh={refresh}
          intervalMs={refreshMs}
          errorTitle="Cannot load the metrics"
        />
        {data !== null && all.length === 0 ? <NoMetrics filters={filters} /> : (
          <Grid gutter="md">
            <Grid.Col span={{ base: 12, md: 4 }}>
              <Stack gap="sm">
                <TextInput
                  label="Name"
                  aria-label="Instrument name"
                  placeholder="Search instruments"
                  value={filters.q}
                  onChange={(event: Event) =>
                    setFilters({ q: (event.currentTarget as HTMLInputElement).value }, true)}
                  data-instrument-search
                />
                {shown.length === 0 && data !== null && (
                  <Text size="sm" c="dimmed" data-no-instruments>
                    No instrument matches these filters.
                  </Text>
                )}
                <InstrumentTable
                  instruments={shown}
                  selected={filters.instrument}
                  onSelect={(key) =>
                    setFilters({ instrument: key, agg: "", group_by: "", attr: [] })}
                />
                {data?.list.limited && (
                  <Text size="xs" c="dimmed">
                    The first 1,000 instruments: search by name for the others.
                  </Text>
                )}
              </Stack>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 8 }}>
              {selected !== null && selected.detail.instrument.key === filters.instrument
                ? (
                  <SelectedPanel
                    selected={selected}
                    filters={filters}
                    onFilters={(patch) => setFilters(patch)}
                  />
                )
                : data?.selectedError !== undefined
                ? (
                  <Alert
                    color="red"
                    variant="light"
                    title="Cannot show this instrument"
                    data-selected-error
                  >
                    {data.selectedError}
                  </Alert>
                )
                : (
                  <Card withBorder padding="xl">
                    <Text size="sm" c="dimmed">
                      {filters.instrument === "" ? "Pick an instrument to chart it." : "Loading…"}
                    </Text>
                  </Card>
                )}
            </Grid.Col>
          </Grid>
        )}
      </Stack>
    </IslandProvider>
  );
}
