/**
 * The prompt of `GET /api/traces/{trace_id}/insight`, a pure function of what the store holds:
 * the trace's outline (services, root, size), its failed spans with their path from the root (the
 * first read whole: attributes, exception events), its critical path (where its time went) and
 * its logs, trimmed to a byte budget (AI_PROMPT_MAX_BYTES) as the log prompt is
 * (insight_prompt.ts, whose line formats and secret redaction it shares).
 *
 * Built from the trace's structure, so an 80,000-span trace costs the lines shown, not its spans.
 *
 * @module
 */
import type { ChatMessage } from "../lib/chat_completions.ts";
import type { StoredSpan } from "../store/mod.ts";
import { SPAN_KINDS, type WireLog, type WireTraceStructure } from "../utils/wire.ts";
import {
  ANSWER_RULES,
  bodyText,
  chatMessages,
  clipBytes,
  compactJson,
  MAX_LINE_ATTRIBUTES_BYTES,
  MAX_LINE_BYTES,
  SECTION_OVERHEAD_BYTES,
  spanLine,
  take,
  utf8Bytes,
  withoutSecrets,
} from "./insight_prompt.ts";

export const TRACE_SYSTEM_PROMPT =
  "You are a site reliability engineer helping an operator of Argus, an OpenTelemetry backend, " +
  "read one distributed trace. From its outline, its failed spans, its critical path (the spans " +
  "whose own time made up its duration) and its logs, explain briefly what most likely happened: " +
  `why it failed, or where its time went, and why; ${ANSWER_RULES}`;

/** The most logs of a trace read for its prompt (the first by time). */
export const TRACE_LOGS_LIMIT = 200;
/** The most ancestors named in a failed span's path from the root. */
const MAX_PATH_HOPS = 12;

export interface TracePromptInput {
  structure: WireTraceStructure;
  /** Indexes of the failed spans (status error) in `structure`, earliest first. */
  failed: number[];
  /** Failed spans read whole (the first of `failed`), in any order. */
  details: StoredSpan[];
  /** Sections of the critical path (routes/mcp_tools.ts `criticalPath`), latest first. */
  criticalPath: { index: number; from: number; to: number }[];
  /** The trace's logs in time order. */
  logs: WireLog[];
  /** More logs than `logs` are stored. */
  moreLogs: boolean;
}

export interface TracePrompt {
  messages: ChatMessage[];
  /** UTF-8 bytes of the messages' contents together: at most the budget. */
  bytes: number;
  failedShown: number;
  failedTotal: number;
  pathShown: number;
  pathTotal: number;
  logsShown: number;
  logsTotal: number;
}

const ms = (ns: number) => (ns / 1e6).toFixed(3);

/** Who each span is, from the structure: `service "name"`. */
function spanName(s: WireTraceStructure, i: number): string {
  return `${s.services[s.service[i]!]} ${JSON.stringify(s.names[s.name[i]!])}`;
}

/** The services from the root down to span `i` (its nearest MAX_PATH_HOPS ancestors). */
function pathOf(s: WireTraceStructure, i: number): string {
  const hops: string[] = [];
  let at = s.parent[i]!;
  while (at >= 0 && hops.length < MAX_PATH_HOPS) {
    hops.push(s.services[s.service[at]!]!);
    at = s.parent[at]!;
  }
  return `${at >= 0 ? "… > " : ""}${hops.reverse().join(" > ")}${hops.length > 0 ? " > " : ""}${
    s.services[s.service[i]!]
  }`;
}

/** The outline: when, how long, how big, which services (with their spans and failures), root. */
function outline(s: WireTraceStructure, failed: number, budget: number): string {
  const n = s.span_id.length;
  const spans = new Array<number>(s.services.length).fill(0);
  const failures = new Array<number>(s.services.length).fill(0);
  for (let i = 0; i < n; i++) {
    spans[s.service[i]!]!++;
    if (s.status[i] === 2) failures[s.service[i]!]!++;
  }
  const root = Math.max(0, s.parent.indexOf(-1));
  const start = new Date(Number(BigInt(s.start_unix_nano) / 1_000_000n)).toISOString();
  const lines = [
    `start: ${start}`,
    `duration: ${ms(s.duration_ns)}ms`,
    `spans: ${n}, failed: ${failed}`,
    `root span: ${spanName(s, root)}${
      s.status[root] === 2 ? " status=error" : s.status[root] === 1 ? " status=ok" : ""
    }${s.parent.includes(-1) ? "" : " (the root span was not received: the earliest is shown)"}`,
    `services (spans, failed): ${
      s.services.map((name, k) => `${name} (${spans[k]}, ${failures[k]})`).join(", ")
    }`,
  ];
  return clipBytes(lines.join("\n"), budget);
}

/** A failed span from the structure alone (when not read whole). */
function outlineLine(s: WireTraceStructure, i: number): string {
  return `+${ms(s.start_ns[i]!)}ms ${ms(s.duration_ns_of[i]!)}ms ${s.services[s.service[i]!]} ${
    SPAN_KINDS[s.kind[i]!] ?? "unspecified"
  } ${JSON.stringify(s.names[s.name[i]!])} span=${s.span_id[i]} status=error`;
}

function logLine(log: WireLog, traceStartNs: bigint): string {
  const offsetMs = Number(BigInt(log.listed_time_unix_nano) - traceStartNs) / 1e6;
  const attributes = Object.keys(log.attributes).length === 0
    ? ""
    : ` ${clipBytes(compactJson(withoutSecrets(log.attributes)), MAX_LINE_ATTRIBUTES_BYTES)}`;
  return clipBytes(
    `${offsetMs < 0 ? "" : "+"}${offsetMs.toFixed(3)}ms ${
      log.severity_text || `severity ${log.severity_number}`
    } ${log.service_name} ${bodyText(log.body).replace(/\s+/g, " ")}${attributes}${
      log.span_id ? ` span=${log.span_id}` : ""
    }`,
    MAX_LINE_BYTES,
  );
}

/** The system and user messages for `input`, their contents together within `maxBytes`. */
export function buildTraceInsightPrompt(input: TracePromptInput, maxBytes: number): TracePrompt {
  const { structure: s, failed, criticalPath } = input;
  const traceStartNs = BigInt(s.start_unix_nano);
  const systemBytes = utf8Bytes(TRACE_SYSTEM_PROMPT);
  const budget = Math.max(0, maxBytes - systemBytes - SECTION_OVERHEAD_BYTES);
  const head = outline(s, failed.length, Math.floor(budget / 5));
  let rest = budget - utf8Bytes(head);

  const detailOf = new Map(input.details.map((span) => [span.spanId, span]));
  const formatFailed = (i: number) => {
    const whole = detailOf.get(s.span_id[i]!);
    const line = whole === undefined ? outlineLine(s, i) : spanLine(whole, traceStartNs, false);
    return clipBytes(`${line} path=${pathOf(s, i)}`, MAX_LINE_BYTES + 200);
  };
  // The critical path's largest shares first; listed in the path's order.
  const bySelf = [...criticalPath].sort((a, b) => (b.to - b.from) - (a.to - a.from));
  const formatSection = (c: { index: number; from: number; to: number }) =>
    `${ms(c.to - c.from)}ms of its ${ms(s.duration_ns_of[c.index]!)}ms ${
      spanName(s, c.index)
    } span=${s.span_id[c.index]}`;
  // The most severe logs first; listed in time order.
  const bySeverity = input.logs.map((log, order) => ({ log, order })).sort((a, b) =>
    b.log.severity_number - a.log.severity_number || a.order - b.order
  );
  const formatLog = (item: { log: WireLog }) => logLine(item.log, traceStartNs);

  let shownFailed = take(failed, formatFailed, Math.floor(rest * 0.45));
  rest -= shownFailed.used;
  const shownPath = take(bySelf, formatSection, Math.floor(rest * 0.35));
  rest -= shownPath.used;
  let shownLogs = take(bySeverity, formatLog, rest);
  rest -= shownLogs.used;
  // What one section left goes to the failed spans, then to the logs.
  if (rest > 0 && shownFailed.lines.size < failed.length) {
    const before = shownFailed.used;
    shownFailed = take(failed, formatFailed, before + rest);
    rest -= shownFailed.used - before;
  }
  if (rest > 0 && shownLogs.lines.size < bySeverity.length) {
    shownLogs = take(bySeverity, formatLog, shownLogs.used + rest);
  }

  const logsTotal = `${input.logs.length}${input.moreLogs ? "+" : ""}`;
  const parts = [
    `Explain trace ${s.trace_id}.`,
    "",
    "Outline:",
    head,
    "",
    `Failed spans (${shownFailed.lines.size} of ${failed.length} shown, earliest first: offset ` +
    "from the trace's start, duration, service, kind, name, status, attributes, events, and " +
    "the services from the root down to it):",
  ];
  if (failed.length === 0) parts.push("(none: no span has status error)");
  for (const line of shownFailed.lines.values()) parts.push(line);
  parts.push(
    "",
    `Critical path (${shownPath.lines.size} of ${criticalPath.length} sections shown, the ` +
      "largest kept, from the trace's end backwards: the span's own time on the path of its " +
      "duration):",
  );
  for (const section of criticalPath) {
    const line = shownPath.lines.get(section);
    if (line !== undefined) parts.push(line);
  }
  parts.push(
    "",
    `Logs of the trace (${shownLogs.lines.size} of ${logsTotal} shown, the most severe kept, in ` +
      "time order: offset from the trace's start, severity, service, body, attributes):",
  );
  if (input.logs.length === 0) parts.push("(none stored)");
  for (const item of [...shownLogs.lines.keys()].sort((a, b) => a.order - b.order)) {
    parts.push(shownLogs.lines.get(item)!);
  }

  return {
    ...chatMessages(TRACE_SYSTEM_PROMPT, parts.join("\n"), maxBytes),
    failedShown: shownFailed.lines.size,
    failedTotal: failed.length,
    pathShown: shownPath.lines.size,
    pathTotal: criticalPath.length,
    logsShown: shownLogs.lines.size,
    logsTotal: input.logs.length,
  };
}
