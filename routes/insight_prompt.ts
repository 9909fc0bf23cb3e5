/**
 * The prompt of `GET /api/logs/{id}/insight`, built as a pure function of what the store holds:
 * the record with its attributes, its service's records of the minute around it, and the spans of
 * its trace, trimmed to a byte budget (AI_PROMPT_MAX_BYTES).
 *
 * Trimming keeps what explains the record best: the record itself first (its long values cut),
 * then the nearest context records and the most related spans (its own span, its ancestors, error
 * spans, then the rest by start time), sharing what is left; what was left out is counted in the
 * prompt so the model knows the picture is partial.
 *
 * @module
 */
import { parseEvents } from "../store/events_links.ts";
import type { ChatMessage } from "../lib/chat_completions.ts";
import type { StoredSpan } from "../store/mod.ts";
import { plainAttributes } from "./wire.ts";
import { SPAN_KINDS, STATUS_CODES, type WireLog } from "../utils/wire.ts";

/** A log record as the API serves it. */

export interface PromptInput {
  log: WireLog;
  /** Records of the log's service before it, oldest first. */
  before: WireLog[];
  /** Records of the log's service after it, oldest first. */
  after: WireLog[];
  /** Spans of the log's trace in any order; empty when it has none. */
  spans: StoredSpan[];
  /** Half-width of the context window, as text ("1 minute"). */
  contextWindow: string;
}

export interface Prompt {
  messages: ChatMessage[];
  /** UTF-8 bytes of the messages' contents together: at most the budget. */
  bytes: number;
  contextShown: number;
  contextTotal: number;
  spansShown: number;
  spansTotal: number;
}

/** How every explanation is to be given: what to list, what not to invent, its form. */
export const ANSWER_RULES = "then list what to check next " +
  "(services, operations, attributes, dependencies, configuration). Say which facts you rely on " +
  "and when the data does not settle the question; do not invent values. Answer in plain text: " +
  "short paragraphs and lines starting with '- ', no Markdown headings or tables, at most about " +
  "250 words.";

export const SYSTEM_PROMPT =
  "You are a site reliability engineer helping an operator of Argus, an OpenTelemetry backend, " +
  "read one log record. From the record, its service's records around it and the spans of its " +
  `trace, explain briefly what most likely happened and why, ${ANSWER_RULES}`;

/** Longest line of context or of the trace, in bytes: one huge record must not crowd out others. */
export const MAX_LINE_BYTES = 600;
/** Longest attribute list on a context or span line, in bytes. */
export const MAX_LINE_ATTRIBUTES_BYTES = 240;
/** Bytes kept back for the section headings and the counts of what was left out. */
export const SECTION_OVERHEAD_BYTES = 400;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, marked with `…` when cut (never mid-character). */
export function clipBytes(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const marker = "…"; // 3 bytes
  if (maxBytes < 3) return "";
  const cut = decoder.decode(bytes.subarray(0, maxBytes - 3)).replace(/\uFFFD+$/, "");
  return cut + marker;
}

export function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? "";
}

/**
 * Attribute keys whose values are secrets by their name: passwords, tokens, keys, credentials,
 * cookies, authorization headers (`http.request.header.authorization`), sessions, signatures.
 * Matched on the key's words, so `db.password` and `X-Api-Key` are, `keyboard.layout` is not.
 */
const SECRET_KEY =
  /(^|[._\-\s])(pass(word|wd|phrase)?|pwd|secret|token|api[._-]?key|apikey|access[._-]?key|private[._-]?key|authorization|auth|credentials?|cookie|set[._-]cookie|session([._-]?id)?|signature|bearer|jwt)([._\-\s]|$)/i;

/** The text that stands for a secret's value in a prompt. */
export const REDACTED = "[redacted]";

/**
 * `attributes` with the value of every key that looks secret (SECRET_KEY, at any depth of a map)
 * replaced by REDACTED: a prompt goes to a provider outside, and an SDK may record a header or a
 * connection string as an attribute.
 */
export function withoutSecrets(attributes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = SECRET_KEY.test(key)
      ? REDACTED
      : value !== null && typeof value === "object" && !Array.isArray(value)
      ? withoutSecrets(value as Record<string, unknown>)
      : value;
  }
  return out;
}

export function bodyText(body: unknown): string {
  if (body === null) return "(no body)";
  return typeof body === "string" ? body : compactJson(body);
}

/** A context record's time offset from the anchor, in seconds with millisecond digits. */
function offsetText(ns: string, anchorNs: string): string {
  const ms = Number((BigInt(ns) - BigInt(anchorNs)) / 1_000_000n);
  const seconds = (Math.abs(ms) / 1000).toFixed(3);
  return `${ms < 0 ? "-" : "+"}${seconds}s`;
}

function contextLine(log: WireLog, anchor: WireLog): string {
  const attributes = Object.keys(log.attributes).length === 0
    ? ""
    : ` ${clipBytes(compactJson(withoutSecrets(log.attributes)), MAX_LINE_ATTRIBUTES_BYTES)}`;
  const trace = log.trace_id === ""
    ? ""
    : log.trace_id === anchor.trace_id
    ? " (same trace)"
    : ` trace=${log.trace_id}`;
  const line = `${log.timestamp.slice(11, 23)} (${
    offsetText(log.listed_time_unix_nano, anchor.listed_time_unix_nano)
  }) ${log.severity_text || `severity ${log.severity_number}`} ${
    bodyText(log.body).replace(/\s+/g, " ")
  }${attributes}${trace}`;
  return clipBytes(line, MAX_LINE_BYTES);
}

export function spanLine(span: StoredSpan, traceStartNs: bigint, mark: boolean): string {
  const offsetMs = Number(span.startTimeUnixNano - traceStartNs) / 1e6;
  const durationNs = span.endTimeUnixNano > span.startTimeUnixNano
    ? span.endTimeUnixNano - span.startTimeUnixNano
    : 0n;
  const status = STATUS_CODES[span.statusCode] ?? "unset";
  const statusText = status === "error"
    ? ` status=error${span.statusMessage ? ` ${JSON.stringify(span.statusMessage)}` : ""}`
    : status === "ok"
    ? " status=ok"
    : "";
  const attributes = withoutSecrets(plainAttributes(span.attributes));
  const attributesText = Object.keys(attributes).length === 0
    ? ""
    : ` ${clipBytes(compactJson(attributes), MAX_LINE_ATTRIBUTES_BYTES)}`;
  // Exceptions are recorded as events; their names and messages are often the whole story.
  const events = parseEvents(span.events).map((event) => {
    const message = event.attributes?.["exception.message"];
    return typeof message === "string" ? `${event.name}: ${message}` : String(event.name);
  });
  const eventsText = events.length === 0 ? "" : ` events=${clipBytes(events.join("; "), 200)}`;
  const line = `${mark ? "> " : ""}+${offsetMs.toFixed(3)}ms ${
    (Number(durationNs) / 1e6).toFixed(3)
  }ms ${span.serviceName} ${SPAN_KINDS[span.kind] ?? "unspecified"} ${
    JSON.stringify(span.name)
  } span=${span.spanId}${
    span.parentSpanId ? ` parent=${span.parentSpanId}` : ""
  }${statusText}${attributesText}${eventsText}`;
  return clipBytes(line, MAX_LINE_BYTES);
}

/** Context records nearest the anchor first, alternating sides. */
function byProximity(before: WireLog[], after: WireLog[]): WireLog[] {
  const out: WireLog[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const b = before[before.length - 1 - i];
    const a = after[i];
    if (b) out.push(b);
    if (a) out.push(a);
  }
  return out;
}

/** Spans most related to the log first: its span, its ancestors, error spans, then by start. */
function byRelevance(spans: StoredSpan[], spanId: string): StoredSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const first: StoredSpan[] = [];
  const seen = new Set<string>();
  for (let at = byId.get(spanId); at !== undefined && !seen.has(at.spanId);) {
    first.push(at);
    seen.add(at.spanId);
    at = at.parentSpanId === "" ? undefined : byId.get(at.parentSpanId);
  }
  const rest = spans.filter((s) => !seen.has(s.spanId)).sort((a, b) =>
    (b.statusCode === 2 ? 1 : 0) - (a.statusCode === 2 ? 1 : 0) ||
    (a.startTimeUnixNano < b.startTimeUnixNano
      ? -1
      : a.startTimeUnixNano > b.startTimeUnixNano
      ? 1
      : 0)
  );
  return [...first, ...rest];
}

/**
 * Takes lines in order while they fit in `budget` bytes (each costs its bytes plus a newline);
 * stops at the first that does not, so a huge trace costs only the lines that are shown.
 */
export function take<T>(
  items: T[],
  format: (item: T) => string,
  budget: number,
): { lines: Map<T, string>; used: number } {
  const lines = new Map<T, string>();
  let used = 0;
  for (const item of items) {
    const line = format(item);
    const cost = utf8Bytes(line) + 1;
    if (used + cost > budget) break;
    lines.set(item, line);
    used += cost;
  }
  return { lines, used };
}

function recordSection(log: WireLog, budget: number): string {
  const lines = [
    `time: ${log.timestamp}`,
    `service: ${log.service_name}`,
    `severity: ${log.severity_text || "(none)"} (number ${log.severity_number})`,
  ];
  if (log.event_name) lines.push(`event name: ${log.event_name}`);
  if (log.trace_id) lines.push(`trace_id: ${log.trace_id}`, `span_id: ${log.span_id || "(none)"}`);
  lines.push(`body: ${clipBytes(bodyText(log.body), Math.floor(budget * 0.45))}`);
  lines.push(
    `attributes: ${
      clipBytes(compactJson(withoutSecrets(log.attributes)), Math.floor(budget * 0.25))
    }`,
  );
  lines.push(
    `resource attributes: ${
      clipBytes(compactJson(withoutSecrets(log.resource_attributes)), Math.floor(budget * 0.15))
    }`,
  );
  if (log.scope.name) {
    lines.push(
      `instrumentation scope: ${log.scope.name}${log.scope.version ? ` ${log.scope.version}` : ""}`,
    );
  }
  return clipBytes(lines.join("\n"), budget);
}

/** The system and user messages, the user's cut so that both together are within `maxBytes`. */
export function chatMessages(
  system: string,
  user: string,
  maxBytes: number,
): { messages: ChatMessage[]; bytes: number } {
  const systemBytes = utf8Bytes(system);
  const clipped = clipBytes(user, Math.max(0, maxBytes - systemBytes));
  return {
    messages: [{ role: "system", content: system }, { role: "user", content: clipped }],
    bytes: systemBytes + utf8Bytes(clipped),
  };
}

/** The system and user messages for `input`, their contents together within `maxBytes`. */
export function buildInsightPrompt(input: PromptInput, maxBytes: number): Prompt {
  const { log, spans } = input;
  const context = byProximity(input.before, input.after);
  const budget = maxBytes - utf8Bytes(SYSTEM_PROMPT) - SECTION_OVERHEAD_BYTES;
  const record = recordSection(log, Math.max(0, Math.floor(budget / 2)));
  let rest = budget - utf8Bytes(record);

  // Context and spans share what is left; what one does not use goes to the other.
  const formatContext = (item: WireLog) => contextLine(item, log);
  const traceStart = spans.reduce(
    (min, s) => s.startTimeUnixNano < min ? s.startTimeUnixNano : min,
    spans[0]?.startTimeUnixNano ?? 0n,
  );
  const related = byRelevance(spans, log.span_id);
  const formatSpan = (span: StoredSpan) =>
    spanLine(span, traceStart, span.spanId === log.span_id && log.span_id !== "");
  const contextShare = spans.length === 0 ? rest : Math.floor(rest / 2);
  let shownContext = take(context, formatContext, Math.max(0, contextShare));
  rest -= shownContext.used;
  const shownSpans = take(related, formatSpan, Math.max(0, rest));
  rest -= shownSpans.used;
  if (rest > 0 && shownContext.lines.size < context.length) {
    shownContext = take(context, formatContext, shownContext.used + rest);
  }

  const parts = [
    `Explain this log record of the service ${JSON.stringify(log.service_name)}.`,
    "",
    "The record:",
    record,
    "",
  ];
  const contextTimeOrder = [...input.before, log, ...input.after];
  parts.push(
    `Records of ${log.service_name} from ${input.contextWindow} before to ${input.contextWindow} ` +
      `after it (${shownContext.lines.size} of ${context.length} shown, nearest first kept; ` +
      `">" marks the record itself):`,
  );
  if (context.length === 0) parts.push("(none)");
  for (const item of contextTimeOrder) {
    if (item === log) parts.push(`> ${log.timestamp.slice(11, 23)} (the record)`);
    else {
      const line = shownContext.lines.get(item);
      if (line !== undefined) parts.push(line);
    }
  }
  parts.push("");
  if (log.trace_id === "") parts.push("The record is not part of a trace.");
  else if (spans.length === 0) {
    parts.push(`Trace ${log.trace_id}: no span of it is stored.`);
  } else {
    parts.push(
      `Spans of trace ${log.trace_id} (${shownSpans.lines.size} of ${spans.length} shown, by ` +
        `start time: offset from the trace's start, duration, service, kind, name; ">" marks ` +
        `the record's span):`,
    );
    const inTimeOrder = [...shownSpans.lines.keys()].sort((a, b) =>
      a.startTimeUnixNano < b.startTimeUnixNano
        ? -1
        : a.startTimeUnixNano > b.startTimeUnixNano
        ? 1
        : 0
    );
    for (const span of inTimeOrder) parts.push(shownSpans.lines.get(span)!);
  }

  return {
    // The estimate above keeps it within budget; this guarantees it whatever the headings cost.
    ...chatMessages(SYSTEM_PROMPT, parts.join("\n"), maxBytes),
    contextShown: shownContext.lines.size,
    contextTotal: context.length,
    spansShown: shownSpans.lines.size,
    spansTotal: spans.length,
  };
}
