/**
 * The Metrics page: the instruments of a time window grouped by service (name, type, unit,
 * description), filtered by service and by name, and the selected instrument's chart
 * (components/metrics/InstrumentChart.tsx) with its aggregation and group-by pickers and its
 * exemplars. Everything lives in the URL (`?instrument=<key>&agg=…&group_by=…`, the window as on
 * the other pages); the data refreshes itself every 15 s (pausable). The server renders the first
 * data (routes/pages/metrics.tsx).
 *
 * @module
 */
import {
  Alert,
  Badge,
  Card,
  Code,
  Grid,
  Group,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { useUrlState } from "../components/hooks/url_state.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { RefreshedHeader } from "../components/page/RefreshedHeader.tsx";
import { InstrumentChart } from "../components/metrics/InstrumentChart.tsx";
import {
  type MetricsData,
  type MetricsFilters,
  metricsQueries,
  type SelectedInstrument,
} from "../components/metrics/metrics_data.ts";
import { ApiError, getJson } from "../utils/api.ts";
import { boundsDiffer } from "../utils/metric_chart.ts";
import { DEFAULT_RANGE, windowWords } from "../utils/time_window.ts";
import type {
  WireExemplars,
  WireInstrument,
  WireInstrumentChart,
  WireInstrumentDetail,
  WireInstrumentList,
} from "../utils/wire.ts";

export interface MetricsProps extends Record<string, unknown> {
  initial: MetricsData | null;
  initialError: string | null;
  filters: MetricsFilters;
  loadedAt: number;
  refreshMs?: number;
}

const DEFAULTS: MetricsFilters = {
  service: "",
  q: "",
  instrument: "",
  agg: "",
  group_by: "",
  range: DEFAULT_RANGE,
  start: "",
  end: "",
};

async function loadMetrics(filters: MetricsFilters, signal: AbortSignal): Promise<MetricsData> {
  const queries = metricsQueries(filters);
  const key = filters.instrument;
  let selectedError: string | undefined;
  const [list, selected] = await Promise.all([
    getJson<WireInstrumentList>("/api/instruments", queries.list, { signal }),
    key === "" ? null : Promise.all([
      getJson<WireInstrumentDetail>(`/api/instruments/${key}`, queries.window, { signal }),
      getJson<WireInstrumentChart>(`/api/instruments/${key}/chart`, queries.chart, { signal }),
      getJson<WireExemplars>(`/api/instruments/${key}/exemplars`, queries.window, { signal }),
    ]).then(([detail, chart, exemplars]): SelectedInstrument => ({ detail, chart, exemplars }))
      .catch((error) => {
        // The API's refusal of this instrument (400, 404) is shown beside the list; others fail.
        if (!(error instanceof ApiError) || error.status >= 500) throw error;
        selectedError = error.message;
        return null;
      }),
  ]);
  return selectedError === undefined ? { list, selected } : { list, selected, selectedError };
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

function SelectedPanel(
  { selected, filters, onFilters }: {
    selected: SelectedInstrument;
    filters: MetricsFilters;
    onFilters(patch: Partial<MetricsFilters>): void;
  },
) {
  const { detail, chart, exemplars } = selected;
  const instrument = detail.instrument;
  return (
    <Card withBorder padding="md" data-selected-instrument={instrument.name}>
      <Stack gap="sm">
        <div>
          <Title order={3} size="h4">{instrument.name}</Title>
          <Text size="sm" c="dimmed">
            {instrument.service_name} · {typeWords(instrument)}
            {instrument.unit ? ` · ${instrument.unit}` : ""}
            {instrument.temporality !== "none" ? ` · ${instrument.temporality}` : ""}
            {` · ${chart.series} series · step ${chart.step_seconds}s`}
          </Text>
          {instrument.description && <Text size="sm">{instrument.description}</Text>}
        </div>
        <Group gap="sm" align="end">
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
        </Group>
        {boundsDiffer(chart) && (
          <Alert color="yellow" variant="light" data-bounds-differ>
            Some steps have no percentiles: the series' histogram bucket bounds differ, so their
            buckets cannot be merged. Group by an attribute to see each series' own.
          </Alert>
        )}
        <InstrumentChart chart={chart} exemplars={exemplars.exemplars} />
        {exemplars.exemplars.some((e) => e.trace_id !== null) && (
          <Text size="xs" c="dimmed">Diamonds are exemplars: click one to open its trace.</Text>
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
  const [filters, setFilters] = useUrlState(DEFAULTS, initialFilters);
  const refresh = useAutoRefresh<MetricsData>({
    load: (signal) => loadMetrics(filters, signal),
    key: [
      filters.instrument,
      filters.agg,
      filters.group_by,
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
                  onSelect={(key) => setFilters({ instrument: key, agg: "", group_by: "" })}
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
