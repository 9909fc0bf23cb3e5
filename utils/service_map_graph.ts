/**
 * The Service Map's graph, as pure functions of `/api/metrics/service-map`: node sizes by
 * requests, colours by error rate (green → amber → red), a layered first layout (callers left of
 * callees) for the force layout to start from, tooltips, and the ECharts option. Tested in
 * utils/service_map_graph_test.ts.
 *
 * Rates here are fractions (0.25 is a quarter), as the API sends them for the map.
 *
 * @module
 */
import type { WireServiceEdge, WireServiceMap, WireServiceNode } from "./wire.ts";
import { formatCount, formatDuration } from "./format.ts";
import { escapeHtml } from "./chart_style.ts";
import { formatPercent } from "./format.ts";

export type ServiceMapBody = WireServiceMap;
export type MapNode = WireServiceNode;
export type MapEdge = WireServiceEdge;

/** Error-rate colour stops: healthy, worrying (5%), failing (20% and more). */
export const ERROR_RATE_STOPS: readonly { rate: number; color: string }[] = [
  { rate: 0, color: "#2f9e44" },
  { rate: 0.05, color: "#f59f00" },
  { rate: 0.2, color: "#e03131" },
];

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const toHex = (channels: number[]) =>
  `#${channels.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;

/** A node's colour for its error rate (a fraction), interpolated between the stops. */
export function errorRateColor(rate: number): string {
  const stops = ERROR_RATE_STOPS;
  if (!(rate > stops[0]!.rate)) return stops[0]!.color;
  for (let i = 1; i < stops.length; i++) {
    const low = stops[i - 1]!;
    const high = stops[i]!;
    if (rate <= high.rate) {
      const t = (rate - low.rate) / (high.rate - low.rate);
      const a = rgb(low.color);
      const b = rgb(high.color);
      return toHex(a.map((c, j) => c + (b[j]! - c) * t));
    }
  }
  return stops.at(-1)!.color;
}

export const NODE_SIZE = { min: 28, max: 76 } as const;

/** A node's diameter in pixels: by the square root of its requests, so area follows traffic. */
export function nodeSize(requests: number, maxRequests: number): number {
  if (!(maxRequests > 0) || !(requests > 0)) return NODE_SIZE.min;
  const t = Math.sqrt(Math.min(requests, maxRequests) / maxRequests);
  return Math.round(NODE_SIZE.min + (NODE_SIZE.max - NODE_SIZE.min) * t);
}

/**
 * How a call's failures are drawn, by the share of its calls that failed (a fraction): grey while
 * under 1% (one error in 1,000 calls is no alarm), amber from 1%, red from 10%. In order, the
 * legend's too.
 */
export const EDGE_ERROR_LEVELS = [
  { level: "ok", from: 0, color: "#adb5bd", label: "under 1% failed" },
  { level: "some", from: 0.01, color: "#f59f00", label: "1–10% failed" },
  { level: "high", from: 0.1, color: "#e03131", label: "10% or more failed" },
] as const;

export type EdgeErrorLevel = typeof EDGE_ERROR_LEVELS[number];

/** The level of a call's error rate (see `EDGE_ERROR_LEVELS`). */
export function edgeErrorLevel(edge: Pick<MapEdge, "calls" | "errors">): EdgeErrorLevel {
  const rate = edge.calls > 0 ? edge.errors / edge.calls : 0;
  let found: EdgeErrorLevel = EDGE_ERROR_LEVELS[0];
  for (const level of EDGE_ERROR_LEVELS) if (rate >= level.from) found = level;
  return found;
}

/** An edge's width in pixels: by calls (log scale), thicker again when 1% of them or more failed. */
export function edgeWidth(edge: MapEdge, maxCalls: number): number {
  const t = maxCalls > 1 ? Math.log1p(edge.calls) / Math.log1p(maxCalls) : 1;
  const failing = edgeErrorLevel(edge).level !== "ok";
  return Math.round((1.5 + 2.5 * t + (failing ? 1.5 : 0)) * 10) / 10;
}

/**
 * Each service's column in a left-to-right reading of the calls: its longest call path from a
 * service nobody calls. Cycles do not loop: a path is at most as long as there are services.
 */
export function callDepths(
  nodes: readonly { id: string }[],
  edges: readonly { source: string; target: string }[],
): Map<string, number> {
  const depth = new Map(nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      if (e.source === e.target || !depth.has(e.source) || !depth.has(e.target)) continue;
      const next = depth.get(e.source)! + 1;
      if (next > depth.get(e.target)! && next < nodes.length) {
        depth.set(e.target, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

/** Layout units between columns and between services in a column. */
export const COLUMN_GAP = 300;
export const ROW_GAP = 150;

export interface MapLayout {
  positions: Map<string, { x: number; y: number }>;
  columns: number;
  /** Services in the fullest column. */
  rows: number;
}

/**
 * Where each service goes: callers left of callees (a column per call depth), and within a
 * column, a force-directed relaxation of heights: each service is pulled towards the services it
 * calls and is called by (springs), services of a column keep `ROW_GAP` apart (repulsion), in the
 * order that crosses the fewest calls (barycentres). Deterministic, so the map looks the same at
 * each refresh and each visit, and it always fits its box (unlike a free force layout, which
 * drifts out of it and points arrows every way).
 */
export function mapLayout(
  nodes: readonly { id: string }[],
  edges: readonly { source: string; target: string }[],
): MapLayout {
  const depth = callDepths(nodes, edges);
  const neighbours = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (e.source === e.target || !depth.has(e.source) || !depth.has(e.target)) continue;
    neighbours.get(e.source)!.push(e.target);
    neighbours.get(e.target)!.push(e.source);
  }
  const columnCount = Math.max(0, ...depth.values()) + 1;
  const columns: string[][] = Array.from({ length: nodes.length ? columnCount : 0 }, () => []);
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    columns[depth.get(n.id)!]!.push(n.id);
  }
  const y = new Map<string, number>();
  const spread = (column: string[]) =>
    column.forEach((id, i) => y.set(id, (i - (column.length - 1) / 2) * ROW_GAP));
  columns.forEach(spread);
  const mean = (id: string) => {
    const ys = neighbours.get(id)!.map((n) => y.get(n)!);
    return ys.length === 0 ? y.get(id)! : ys.reduce((a, b) => a + b, 0) / ys.length;
  };
  // Order within columns by the barycentre of neighbours, sweeping both ways.
  for (let sweep = 0; sweep < 4; sweep++) {
    const order = sweep % 2 === 0 ? columns : [...columns].reverse();
    for (const column of order) {
      const keys = new Map(column.map((id) => [id, mean(id)]));
      column.sort((a, b) => keys.get(a)! - keys.get(b)! || a.localeCompare(b));
      spread(column);
    }
  }
  // Relax heights: springs towards neighbours, then push apart to ROW_GAP within each column.
  for (let step = 0; step < 40; step++) {
    const target = new Map([...y].map(([id, v]) => [id, v + (mean(id) - v) * 0.5]));
    for (const column of columns) {
      const ys = column.map((id) => target.get(id)!);
      for (let i = 1; i < ys.length; i++) ys[i] = Math.max(ys[i]!, ys[i - 1]! + ROW_GAP);
      // Re-centre the column on where its springs wanted it.
      const wanted = column.reduce((sum, id) => sum + target.get(id)!, 0) / column.length;
      const now = ys.reduce((a, b) => a + b, 0) / ys.length;
      column.forEach((id, i) => y.set(id, ys[i]! + wanted - now));
    }
  }
  const positions = new Map<string, { x: number; y: number }>();
  columns.forEach((column, d) =>
    column.forEach((id) => positions.set(id, { x: d * COLUMN_GAP, y: Math.round(y.get(id)!) }))
  );
  return {
    positions,
    columns: columns.length,
    rows: Math.max(0, ...columns.map((c) => c.length)),
  };
}

/** The graph's least width in pixels: room for each column's labels and the margins. */
export function graphMinWidth(layout: MapLayout): number {
  return layout.columns * 210 + 60;
}

/** The graph's height in pixels for a layout: room for its fullest column, within bounds. */
export function graphHeight(layout: MapLayout): number {
  return Math.min(900, Math.max(320, layout.rows * 130 + 140));
}

const row = (label: string, value: string, color?: string) =>
  `<div style="display:flex;justify-content:space-between;gap:16px"><span style="color:#868e96">${label}</span><span${
    color ? ` style="color:${color};font-weight:600"` : ""
  }>${value}</span></div>`;

/** A node's tooltip (HTML; the name escaped). */
export function nodeTooltip(node: MapNode): string {
  return [
    `<div style="font-weight:600;margin-bottom:4px">${escapeHtml(node.name)}</div>`,
    row("Requests", formatCount(node.requests)),
    row("Errors", formatCount(node.errors), node.errors > 0 ? "#e03131" : undefined),
    row("Error rate", formatPercent(node.error_rate * 100)),
    row("Avg latency", node.requests > 0 ? formatDuration(node.avg_latency_ms) : "–"),
    row("p99 latency", node.requests > 0 ? formatDuration(node.p99_latency_ms) : "–"),
    `<div style="color:#868e96;font-size:11px;margin-top:4px">Click to open its traces</div>`,
  ].join("");
}

/** An edge's tooltip (HTML; names escaped). */
export function edgeTooltip(edge: MapEdge): string {
  return [
    `<div style="font-weight:600;margin-bottom:4px">${escapeHtml(edge.source)} → ${
      escapeHtml(edge.target)
    }</div>`,
    row("Calls", formatCount(edge.calls)),
    row("Errors", formatCount(edge.errors), edge.errors > 0 ? "#e03131" : undefined),
    row("Error rate", formatPercent(edge.error_rate * 100)),
    row("Avg latency", edge.calls > 0 ? formatDuration(edge.avg_latency_ms) : "–"),
  ].join("");
}

/** An edge's label on the graph: `24 calls`, `24 calls · 7 failed` (the rest is in its tooltip). */
export function edgeLabel(edge: MapEdge): string {
  const calls = `${formatCount(edge.calls)} call${edge.calls === 1 ? "" : "s"}`;
  return edge.errors > 0 ? `${calls} · ${formatCount(edge.errors)} failed` : calls;
}

/**
 * The ECharts option of the map: services at their `mapLayout` positions (ECharts fits them in
 * the box), drag to move a service, the wheel to zoom.
 */
export function serviceMapOption(body: ServiceMapBody, layout = mapLayout(body.nodes, body.edges)) {
  const maxRequests = Math.max(0, ...body.nodes.map((n) => n.requests));
  const maxCalls = Math.max(0, ...body.edges.map((e) => e.calls));
  const nodes = new Map(body.nodes.map((n) => [n.id, n]));
  const edges = new Map(body.edges.map((e) => [`${e.source}\u0000${e.target}`, e]));
  return {
    animationDurationUpdate: 300,
    tooltip: {
      trigger: "item",
      confine: true,
      formatter: (
        p: { dataType: string; data: { id?: string; source?: string; target?: string } },
      ) => {
        if (p.dataType === "edge") {
          const edge = edges.get(`${p.data.source}\u0000${p.data.target}`);
          return edge ? edgeTooltip(edge) : "";
        }
        const node = nodes.get(p.data.id ?? "");
        return node ? nodeTooltip(node) : "";
      },
    },
    series: [{
      id: "service-map",
      type: "graph",
      layout: "none",
      roam: true,
      scaleLimit: { min: 0.4, max: 3 },
      draggable: true,
      // Room for the labels under the services and the arrows' ends.
      top: 40,
      bottom: 64,
      left: 110,
      right: 110,
      // One scale for both axes: ECharts sizes services by the horizontal one, and a single row
      // of services has no height to stretch.
      preserveAspect: true,
      edgeSymbol: ["none", "arrow"],
      edgeSymbolSize: [0, 11],
      emphasis: { focus: "adjacency", lineStyle: { width: 5 } },
      label: {
        show: true,
        position: "bottom",
        distance: 6,
        formatter: (p: { data: { id: string } }) => {
          const n = nodes.get(p.data.id);
          if (!n) return "";
          return `{name|${n.name}}\n{meta|${formatCount(n.requests)} req · ${
            formatPercent(n.error_rate * 100)
          } err}`;
        },
        rich: {
          name: { fontSize: 13, fontWeight: 600, color: "#212529", lineHeight: 18 },
          meta: { fontSize: 11, color: "#868e96", lineHeight: 15 },
        },
      },
      edgeLabel: {
        show: true,
        position: "middle",
        fontSize: 11,
        color: "#495057",
        backgroundColor: "#fff",
        padding: [2, 6],
        borderRadius: 4,
        formatter: (p: { data: { source: string; target: string } }) => {
          const edge = edges.get(`${p.data.source}\u0000${p.data.target}`);
          return edge ? edgeLabel(edge) : "";
        },
      },
      data: body.nodes.map((n) => ({
        id: n.id,
        name: n.name,
        value: n.requests,
        ...layout.positions.get(n.id),
        symbolSize: nodeSize(n.requests, maxRequests),
        itemStyle: {
          color: errorRateColor(n.error_rate),
          borderColor: "#fff",
          borderWidth: 3,
          shadowBlur: 8,
          shadowColor: "rgba(33, 37, 41, 0.18)",
        },
      })),
      links: body.edges.map((e) => ({
        source: e.source,
        target: e.target,
        value: e.calls,
        lineStyle: {
          width: edgeWidth(e, maxCalls),
          color: edgeErrorLevel(e).color,
          opacity: 0.9,
          // A call both ways, or one that goes back left: an arc, so it does not hide another.
          curveness: body.edges.some((o) => o.source === e.target && o.target === e.source) ||
              (layout.positions.get(e.source)?.x ?? 0) >= (layout.positions.get(e.target)?.x ?? 0)
            ? 0.25
            : 0,
        },
      })),
    }],
  };
}
