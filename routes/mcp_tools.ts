/**
 * The tools Argus's MCP server offers an agent (routes/mcp.ts serves them on `/mcp`). Each tool
 * is the API endpoint of the same question, called with the same parameter names
 * (`GET /api/traces`'s `range`, `service`, `status`…), so that its answer is the API's and a bad
 * argument gets the API's message naming the parameter and what it accepts; only the shape is
 * made compact for a model's small context: the fields an agent reasons with, and every answer
 * bounded in bytes (`MCP_MAX_OUTPUT_BYTES`) with an explicit `truncated` and what to narrow.
 *
 * One trace is answered as a topology (a flat depth-first list, each span with its depth and the
 * path of services above it, as Jaeger's MCP tool does), its critical path (the chain of spans
 * whose own time made the trace as long as it is) and its failed spans.
 *
 * @module
 */
import { z } from "zod";
import { listTraces, readTraceStructure, traceSpan } from "./traces.ts";
import { listLogs, logContext } from "./logs.ts";
import { serviceMap } from "./dashboards.ts";
import { instrumentChart, type InstrumentsDeps, listInstruments } from "./instruments.ts";
import type { Store } from "../store/mod.ts";
import type { WireLog, WireTraceStructure } from "../utils/wire.ts";

/** What the tools read: the store's reads the API's endpoints use, and the API's window rules. */
export interface McpToolDeps {
  store: Pick<
    Store,
    | "traces"
    | "traceStructure"
    | "traceSpan"
    | "planLogs"
    | "logs"
    | "logTotal"
    | "logById"
    | "errorOrigins"
    | "rollups"
    | "instruments"
  >;
  /** QUERY_MAX_WINDOW: the longest window a tool may read. */
  queryMaxWindowMs: number;
  now: () => number;
  /** METRIC_MAX_STEPS, METRIC_MAX_SERIES, METRIC_MAX_POINTS, as the metric charts take them. */
  metricMaxSteps?: InstrumentsDeps["metricMaxSteps"];
  metricMaxSeries?: InstrumentsDeps["metricMaxSeries"];
  metricMaxPoints?: InstrumentsDeps["metricMaxPoints"];
}

/** MCP_MAX_OUTPUT_BYTES by default: ~16k tokens, a fair share of an agent's context. */
export const DEFAULT_MCP_MAX_OUTPUT_BYTES = 64 * 1024;

/** Most items a list tool answers (its `limit`'s ceiling) and its default. */
const MAX_LIST = 100;
const DEFAULT_LIST = 20;

const window = {
  range: z.string().optional().describe(
    "How far back from now, e.g. 15m, 1h, 6h, 24h, 7d (default 1h). Not with start/end.",
  ),
  start: z.string().optional().describe("Window start: RFC 3339 time or Unix milliseconds"),
  end: z.string().optional().describe("Window end (default now): RFC 3339 or Unix milliseconds"),
};

const service = z.string().optional().describe("Only this service (its service.name)");

function listLimit() {
  return z.number().int().min(1).max(MAX_LIST).optional().describe(
    `Most items to answer, 1 to ${MAX_LIST} (default ${DEFAULT_LIST})`,
  );
}

/** The window a tool reads when given none: an agent asks about the last hour more than 5 min. */
const DEFAULT_RANGE = "1h";

/**
 * Tool arguments as the API's query: the same names, so that its errors name them; a window of
 * `DEFAULT_RANGE` when the tool reads one and none is given.
 */
function params(args: Record<string, unknown>, windowed = true) {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) { for (const v of value) out.append(name, String(v)); }
    else out.set(name, String(value));
  }
  if (windowed && !out.has("range") && !out.has("start") && !out.has("end")) {
    out.set("range", DEFAULT_RANGE);
  }
  return out;
}

/**
 * `value` as it is when its JSON fits `maxBytes`, else with the array at `key` cut to what fits,
 * `truncated: true` and `hint` (what to narrow) beside it.
 */
export function fit(
  value: Record<string, unknown>,
  key: string,
  maxBytes: number,
  hint: string,
): Record<string, unknown> {
  if (jsonBytes(value) <= maxBytes) return value;
  const items = value[key] as unknown[];
  const cut = (n: number) => ({
    ...value,
    [key]: items.slice(0, n),
    truncated: true,
    shown: n,
    hint: `Answer cut to ${maxBytes} bytes (MCP_MAX_OUTPUT_BYTES): ${hint}`,
  });
  // The answer without items, its count at its widest; then each item costs its JSON and a comma
  // (an array's JSON is its items' joined by ","), so each is serialized once, and only those that
  // fit and the first that does not.
  let used = jsonBytes({ ...cut(0), shown: items.length });
  let shown = 0;
  for (const item of items) {
    const cost = jsonBytes(item) + (shown > 0 ? 1 : 0);
    if (used + cost > maxBytes) break;
    used += cost;
    shown++;
  }
  return cut(shown);
}

const encoder = new TextEncoder();

function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** A log record as an agent reads it: what it says, where from, and its trace. */
function compactLog(log: WireLog) {
  return {
    id: log.id,
    timestamp: log.timestamp,
    service: log.service_name,
    severity: log.severity_text || String(log.severity_number),
    body: log.body,
    ...(log.trace_id === "" ? {} : { trace_id: log.trace_id, span_id: log.span_id }),
    ...(Object.keys(log.attributes).length === 0 ? {} : { attributes: log.attributes }),
  };
}

const STATUS = ["unset", "ok", "error"] as const;
const KIND = ["unspecified", "internal", "server", "client", "producer", "consumer"] as const;
const ms = (ns: number) => Math.round(ns / 1e4) / 100;

/** The spans in depth-first order (children by start), each with its depth, from a structure. */
export function depthFirst(s: WireTraceStructure): { index: number; depth: number }[] {
  const n = s.span_id.length;
  const children: number[][] = Array.from({ length: n }, () => []);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = s.parent[i]!;
    if (p >= 0) children[p]!.push(i);
    else roots.push(i);
  }
  const byStart = (a: number, b: number) => s.start_ns[a]! - s.start_ns[b]!;
  roots.sort(byStart);
  const out: { index: number; depth: number }[] = [];
  // Iterative: an 80,000-span trace may be as deep as it is long.
  const stack = roots.reverse().map((index) => ({ index, depth: 0 }));
  while (stack.length > 0) {
    const top = stack.pop()!;
    out.push(top);
    const kids = children[top.index]!.sort(byStart);
    for (let k = kids.length - 1; k >= 0; k--) {
      stack.push({ index: kids[k]!, depth: top.depth + 1 });
    }
  }
  return out;
}

/**
 * The critical path: from the root's end backwards, the child that finished last before the
 * current point takes the path over, down to a span with no such child, whose own time from its
 * start counts, then back up to its parent from that start. Each section is a span's own time on
 * the path (ns from the trace's start), latest first. Children are clipped to their parent.
 */
export function criticalPath(s: WireTraceStructure): { index: number; from: number; to: number }[] {
  const n = s.span_id.length;
  if (n === 0) return [];
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) if (s.parent[i]! >= 0) children[s.parent[i]!]!.push(i);
  const end = (i: number) => s.start_ns[i]! + s.duration_ns_of[i]!;
  // The root that ends last.
  let root = -1;
  for (let i = 0; i < n; i++) {
    if (s.parent[i]! < 0 && (root < 0 || end(i) > end(root))) root = i;
  }
  const path: { index: number; from: number; to: number }[] = [];
  let current = root;
  let until = end(root);
  for (let steps = 0; steps < 2 * n + 1; steps++) {
    const start = s.start_ns[current]!;
    let last = -1;
    for (const child of children[current]!) {
      const childEnd = Math.min(end(child), end(current));
      if (
        childEnd <= until && childEnd > start &&
        (last < 0 || childEnd > Math.min(end(last), end(current)))
      ) {
        last = child;
      }
    }
    if (last >= 0) {
      const from = Math.min(end(last), end(current));
      if (from < until) path.push({ index: current, from, to: until });
      current = last;
      until = from;
      continue;
    }
    if (start < until) path.push({ index: current, from: start, to: until });
    const parent = s.parent[current]!;
    if (parent < 0 || current === root) break;
    until = Math.max(start, s.start_ns[parent]!);
    current = parent;
  }
  return path;
}

/** The trace tool's answer: topology, critical path and failed spans, bounded. */
export function traceAnswer(s: WireTraceStructure, maxBytes: number): Record<string, unknown> {
  const span = (i: number) => ({
    span_id: s.span_id[i]!,
    service: s.services[s.service[i]!]!,
    name: s.names[s.name[i]!]!,
  });
  const order = depthFirst(s);
  const pathOf: string[] = new Array(s.span_id.length);
  const spans = order.map(({ index, depth }) => {
    const parent = s.parent[index]!;
    const service = s.services[s.service[index]!]!;
    pathOf[index] = parent >= 0 ? `${pathOf[parent]} > ${service}` : service;
    return {
      ...span(index),
      depth,
      path: pathOf[index],
      kind: KIND[s.kind[index]!] ?? String(s.kind[index]),
      start_ms: ms(s.start_ns[index]!),
      duration_ms: ms(s.duration_ns_of[index]!),
      status: STATUS[s.status[index]!] ?? String(s.status[index]),
      ...(parent === -2 ? { parent_missing: true } : {}),
    };
  });
  const errors = order.filter(({ index }) => s.status[index] === 2).map(({ index }) => ({
    ...span(index),
    path: pathOf[index],
  }));
  const critical = criticalPath(s).map(({ index, from, to }) => ({
    ...span(index),
    self_ms: ms(to - from),
  }));
  const head = {
    trace_id: s.trace_id,
    start: new Date(Number(BigInt(s.start_unix_nano) / 1_000_000n)).toISOString(),
    duration_ms: ms(s.duration_ns),
    span_count: s.span_id.length,
    services: s.services,
    error_count: errors.length,
    // Lists beyond their first MAX_SECTIONS are counted here and left out.
    critical_path_sections: critical.length,
  };
  // The critical path and the errors first (the most that fit beside a few spans): they answer
  // most questions about a trace; then as many spans, depth first, as fit.
  const bounded = fit(
    {
      ...head,
      critical_path: critical.slice(0, MAX_SECTIONS),
      error_spans: errors.slice(0, MAX_SECTIONS),
      spans,
    },
    "spans",
    maxBytes,
    "the spans list is cut; read chosen spans with get_spans",
  );
  if (bounded.truncated !== true || (bounded.shown as number) > 0) return bounded;
  const fewer = fit(
    { ...head, critical_path: critical.slice(0, 10), error_spans: errors.slice(0, 10), spans },
    "spans",
    maxBytes,
    "the spans list is cut; read chosen spans with get_spans",
  );
  if (jsonBytes(fewer) <= maxBytes) return fewer;
  // Even the outline does not fit (many services, a tiny MCP_MAX_OUTPUT_BYTES): its counts alone.
  return {
    trace_id: s.trace_id,
    duration_ms: head.duration_ms,
    span_count: head.span_count,
    error_count: head.error_count,
    truncated: true,
    shown: 0,
    hint: `Answer cut to ${maxBytes} bytes (MCP_MAX_OUTPUT_BYTES): even the trace's outline does ` +
      "not fit; raise MCP_MAX_OUTPUT_BYTES, or read chosen spans with get_spans",
  };
}

/** Most sections of a critical path, and failed spans, a trace's answer lists. */
const MAX_SECTIONS = 100;

export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, z.ZodType>;
  run(args: Record<string, unknown>, deps: McpToolDeps, maxBytes: number): Promise<unknown>;
}

/** Argus's tools, in the order an agent should use them: overview first, then drill down. */
export const TOOLS: ToolDefinition[] = [
  {
    name: "list_services",
    title: "Services and their health",
    description:
      "Every service that sent spans in the window, with its requests (server and entry spans), " +
      "errors, error rate, average and p99 latency, from Argus's rollups. Start here: it tells " +
      "which services fail or are slow before you search traces or logs.",
    inputSchema: { ...window },
    async run(args, deps, maxBytes) {
      const map = await serviceMap(params(args), deps);
      const services = [...map.nodes].sort((a, b) => b.errors - a.errors || b.requests - a.requests)
        .map(({ id: _id, ...node }) => node);
      return fit({ services }, "services", maxBytes, "give a shorter range");
    },
  },
  {
    name: "service_map",
    title: "Calls between services",
    description:
      "The calls between services in the window (a span in one service whose child is in " +
      "another): caller, callee, calls, errors, error rate and average latency. With `service`, " +
      "only the calls it makes and receives.",
    inputSchema: { ...window, service },
    async run(args, deps, maxBytes) {
      const map = await serviceMap(params(args), deps);
      const edges = map.edges.map((e) => ({
        caller: e.source,
        callee: e.target,
        calls: e.calls,
        errors: e.errors,
        error_rate: e.error_rate,
        avg_latency_ms: e.avg_latency_ms,
      })).sort((a, b) => b.errors - a.errors || b.calls - a.calls);
      return fit({ edges }, "edges", maxBytes, "name a service, or give a shorter range");
    },
  },
  {
    name: "search_traces",
    title: "Search traces",
    description:
      "Traces in the window, newest first (or by duration), with their root service and " +
      "operation, duration, span and error counts. Filter by the service they pass through, " +
      "status, minimum duration, operation text or attributes. Then read one with get_trace.",
    inputSchema: {
      ...window,
      service,
      status: z.enum(["ok", "error"]).optional().describe("Only failed (error) or ok traces"),
      search: z.string().optional().describe("Text in a span name of the trace"),
      min_duration_ms: z.number().min(0).optional().describe("Only traces at least this long"),
      attr: z.array(z.string()).optional().describe(
        "Attribute filters, each key=value (e.g. http.response.status_code=500); all must match",
      ),
      sort: z.enum(["start_time", "duration", "span_count"]).optional().describe(
        "Order (default start_time, newest first)",
      ),
      limit: listLimit(),
    },
    async run(args, deps, maxBytes) {
      const query = params({ limit: DEFAULT_LIST, ...args });
      if (args.sort !== undefined) query.set("order", "desc");
      const page = await listTraces(query, deps);
      const traces = page.items.map((t) => ({
        trace_id: t.trace_id,
        root_service: t.root_service,
        root_name: t.root_name,
        start_time: t.start_time,
        duration_ms: t.duration_ms,
        span_count: t.span_count,
        error_count: t.error_count,
        services: t.services,
      }));
      return fit(
        { total: page.total, total_capped: page.total_capped, traces },
        "traces",
        maxBytes,
        "filter more or lower `limit`",
      );
    },
  },
  {
    name: "get_trace",
    title: "One trace: topology, critical path, errors",
    description:
      "One trace as a flat depth-first list of its spans (depth, the path of services above " +
      "each, kind, start offset and duration in ms, status), its critical path (the spans whose " +
      "own time made the trace as long as it is, with that time) and its failed spans. Huge " +
      "traces are cut with `truncated`: read chosen spans with get_spans.",
    inputSchema: {
      trace_id: z.string().describe("The trace id: 32 hexadecimal characters"),
    },
    async run(args, deps, maxBytes) {
      const structure = await readTraceStructure(String(args.trace_id ?? ""), deps.store);
      return traceAnswer(structure, maxBytes);
    },
  },
  {
    name: "get_spans",
    title: "Span details",
    description:
      "Every field of chosen spans of one trace: attributes, events (exceptions with their " +
      "stack traces), links, status message, resource and scope.",
    inputSchema: {
      trace_id: z.string().describe("The trace id: 32 hexadecimal characters"),
      span_ids: z.array(z.string()).min(1).max(20).describe(
        "Span ids (16 hexadecimal characters each), at most 20",
      ),
    },
    async run(args, deps, maxBytes) {
      const ids = args.span_ids as string[];
      const spans = [];
      for (const id of ids) spans.push(await traceSpan(String(args.trace_id), id, deps.store));
      return fit({ spans }, "spans", maxBytes, "ask for fewer spans at once");
    },
  },
  {
    name: "search_logs",
    title: "Search logs",
    description:
      "Log records in the window, newest first: time, service, severity, body, trace and span " +
      "ids, attributes. Filter by service, minimum severity (trace, debug, info, warn, error, " +
      "fatal or 1–24), text in the body (`search`), a trace id, or attributes.",
    inputSchema: {
      ...window,
      service,
      severity: z.string().optional().describe("Minimum severity: error, warn, info… or 1–24"),
      search: z.string().optional().describe("Text the body contains (case-insensitive)"),
      trace_id: z.string().optional().describe("Only records of this trace"),
      attr: z.array(z.string()).optional().describe("Attribute filters, each key=value"),
      limit: listLimit(),
    },
    async run(args, deps, maxBytes) {
      const page = await listLogs(params({ limit: DEFAULT_LIST, ...args }), deps);
      return fit(
        { total: page.total, total_capped: page.total_capped, logs: page.items.map(compactLog) },
        "logs",
        maxBytes,
        "filter more or lower `limit`",
      );
    },
  },
  {
    name: "log_context",
    title: "The records around one log record",
    description:
      "The records its service wrote just before and after one record (by default ±1 minute), " +
      "to see what led to an error.",
    inputSchema: {
      id: z.string().describe("The record's id, as search_logs answers it"),
      window: z.string().optional().describe(
        "How far before and after it: a duration from 1ms to 1h such as 30s or 5m (default 1m)",
      ),
    },
    async run(args, deps, maxBytes) {
      const context = await logContext(params(args, false), deps);
      // The nearest records kept when cut: the answer lists them outwards from the anchor.
      const around = [
        ...context.before.reverse().map((log) => ({ ...compactLog(log), side: "before" })),
        ...context.after.map((log) => ({ ...compactLog(log), side: "after" })),
      ].sort((a, b) => distance(a.timestamp) - distance(b.timestamp));
      function distance(timestamp: string) {
        return Math.abs(Date.parse(timestamp) - Date.parse(context.anchor.timestamp));
      }
      return fit(
        { anchor: compactLog(context.anchor), around },
        "around",
        maxBytes,
        "give a smaller window",
      );
    },
  },
  {
    name: "list_instruments",
    title: "Metric instruments",
    description:
      "The metric instruments (counters, gauges, histograms…) that sent points in the window, " +
      "with their service, name, unit, type, description and number of series. Filter by " +
      "service or by text in the name; read one's values with metric_series and its `key`.",
    inputSchema: {
      ...window,
      service,
      q: z.string().optional().describe("Text the instrument's name contains (any case)"),
      limit: listLimit(),
    },
    async run(args, deps, maxBytes) {
      const list = await listInstruments(params({ limit: DEFAULT_LIST, ...args }), deps);
      const instruments = list.instruments.map((i) => ({
        key: i.key,
        service: i.service_name,
        name: i.name,
        unit: i.unit,
        type: i.type,
        description: i.description,
        series: i.series_count,
      }));
      return fit(
        { instruments, limited: list.limited },
        "instruments",
        maxBytes,
        "name a service or filter the name with `q`",
      );
    },
  },
  {
    name: "metric_series",
    title: "An instrument's values over time",
    description:
      "One instrument's values in the window, cut into steps: for a counter its rate per " +
      "second, for a gauge its average, for a histogram a percentile (p50, p90, p99…), as " +
      "Argus's metric charts compute them; `agg` picks another, `group_by` splits the series by " +
      "an attribute, `attr` keeps the series with key=value. Null is a step without data.",
    inputSchema: {
      key: z.string().describe("The instrument's key, as list_instruments answers it"),
      ...window,
      agg: z.string().optional().describe(
        "What to compute per step (the answer's `aggs` lists those this instrument takes)",
      ),
      group_by: z.string().optional().describe("An attribute key to split the series by"),
      attr: z.array(z.string()).optional().describe("Series filters, each key=value"),
      step: z.string().optional().describe("Step length, e.g. 1m, 5m, 1h (default: ~240 steps)"),
    },
    async run(args, deps, maxBytes) {
      const { key, ...rest } = args;
      const chart = await instrumentChart(String(key ?? ""), params(rest), deps);
      return fit(
        {
          instrument: {
            key: chart.instrument.key,
            service: chart.instrument.service_name,
            name: chart.instrument.name,
            unit: chart.instrument.unit,
            type: chart.instrument.type,
          },
          agg: chart.agg,
          aggs: chart.aggs,
          step_seconds: chart.step_seconds,
          series: chart.series,
          times: chart.times,
          groups: chart.groups.map((g) => ({ attributes: g.attributes, values: g.values })),
        },
        "groups",
        maxBytes,
        "give a shorter range, a longer step, or filter the series with `attr`",
      );
    },
  },
];

export const INSTRUCTIONS =
  "Argus holds the traces, logs and metrics that OpenTelemetry SDKs sent to it. Work from the " +
  "overview to the detail: list_services (health: requests, errors, p99) and service_map (who " +
  "calls whom) first; then search_traces with the failing service or status=error; then " +
  "get_trace for one trace's topology, critical path and failed spans, and get_spans for the " +
  "attributes and exception events of the spans that matter; search_logs and log_context for " +
  "what the services wrote around it (a trace_id links both); list_instruments and " +
  "metric_series for the metrics the services export. Windows: `range` back from now " +
  "(15m, 1h, 24h…) or `start`/`end`. Answers are bounded: `truncated: true` says to narrow the " +
  "query as its `hint` says.";
