/**
 * AI insight, off unless `AI_ENABLED` is true: `GET /api/logs/{id}/insight` explains one log
 * record, `GET /api/traces/{trace_id}/insight` one trace (what likely happened, what to check
 * next), answered whole as JSON or, to `Accept: text/event-stream`, streamed as it is generated
 * (routes/insight_stream.ts).
 *
 * `InsightService` reads what the prompt needs (a record: its service's records ±1 minute around
 * it and its trace's spans; a trace: its outline, failed spans, critical path and logs), builds
 * the prompt (insight_prompt.ts, trace_insight_prompt.ts) and asks the provider
 * (lib/chat_completions.ts). Answers are kept per subject in a bounded LRU; requests for a subject
 * being explained join its one provider call, each given the text so far and then every piece.
 * `AI_TIMEOUT` bounds each wait for progress (the reads and the first piece, then each next
 * piece), so the routes are not `timed` by QUERY_TIMEOUT, which would cut a slow model short.
 *
 * @module
 */
import { DEFAULT_TRACE_MAX_SPANS, readTraceStructure } from "./traces.ts";
import {
  AiProviderError,
  ChatCompletionsClient,
  type ChatMessage,
  type ChatRequest,
} from "../lib/chat_completions.ts";
import type { AiConfig } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import { formatDurationMs } from "../lib/units.ts";
import type { Store } from "../store/mod.ts";
import { logContext } from "./logs.ts";
import { buildInsightPrompt } from "./insight_prompt.ts";
import { buildTraceInsightPrompt, TRACE_LOGS_LIMIT } from "./trace_insight_prompt.ts";
import { criticalPath } from "./mcp_tools.ts";
import { parseHexId } from "./query_params.ts";
import { HttpError } from "./http_error.ts";
import { wireLog } from "./wire.ts";
import type { WireLogInsight, WireTraceInsight } from "../utils/wire.ts";
/** An explanation, whatever it explains. */
export interface InsightAnswer {
  /** The model's explanation, plain text. */
  insight: string;
  /** The model that answered, as the provider names it. */
  model: string;
}

/**
 * One request's view of an explanation: `answer` settles when it is complete; `onDelta` (given
 * to `explainLog`/`explainTrace`) had the text so far at once, then each piece. `stop` ends the
 * view (a client gone): the explanation goes on for the others and the cache.
 */
export interface InsightWatch {
  answer: Promise<InsightAnswer>;
  stop(): void;
}

/**
 * No explanation could be given: 503 when AI is off, 502 when the provider failed or refused,
 * 504 when it did not answer within AI_TIMEOUT. The message says why and never holds the key.
 */
export class InsightError extends HttpError {
  constructor(status: 502 | 503 | 504, message: string, options?: ErrorOptions) {
    super(status, message, {}, options);
    this.name = "InsightError";
  }
}

/** Randomness of the answer: low, as an explanation should not change from one click to the next. */
const TEMPERATURE = 0.2;
/** Records on each side of the log that are read as its context (as `/api/logs/context`). */
const CONTEXT_WINDOW = "1m";
/** The most failed spans of a trace read whole (attributes, events) for its prompt. */
export const TRACE_DETAILED_SPANS = 20;
/** Logs of a trace are read from this long before its start to this long after its end. */
const TRACE_LOGS_MARGIN_NS = 60_000_000_000n;

export interface InsightLimits {
  /**
   * Milliseconds an explanation may go without progress: the database reads and the provider's
   * first piece of answer, then each next piece.
   */
  timeoutMs: number;
  /** Bytes of prompt (system and user messages), at most. */
  promptMaxBytes: number;
  maxTokens: number;
  /** Answers kept, by subject; 0 keeps none. */
  cacheEntries: number;
}

export interface InsightServiceOptions {
  store: Pick<Store, "logById" | "logs" | "traceSpans" | "traceStructure" | "traceSpan">;
  client: { chat(request: ChatRequest): Promise<{ content: string; model: string }> };
  limits: InsightLimits;
  logger: Logger;
  /**
   * TRACE_MAX_SPANS: the most spans of the record's trace read for the prompt (the first by start
   * time), so that a huge trace is never held whole.
   */
  traceMaxSpans?: number;
}

/** A prompt, and what is logged about it. */
interface Prepared {
  messages: ChatMessage[];
  facts: Record<string, unknown>;
}

/** An explanation being generated: its text so far, and who is watching it. */
interface Progress {
  text: string;
  readonly listeners: Set<(text: string) => void>;
}

interface Generation extends Progress {
  readonly answer: Promise<InsightAnswer>;
}

/** Why an explanation stopped waiting: its phase, as the 504's message says it. */
type Phase = "reads" | "first" | "next";

const PHASES: Record<Phase, string> = {
  reads: "reading what it explains from the database",
  first: "waiting for the AI provider's answer",
  next: "waiting for the rest of the AI provider's answer",
};

export class InsightService {
  readonly #options: InsightServiceOptions;
  /** Map order is use order: the first key is the least recently used. */
  readonly #cache = new Map<string, InsightAnswer>();
  readonly #inFlight = new Map<string, Generation>();

  constructor(options: InsightServiceOptions) {
    this.#options = options;
  }

  /** The explanation of the log `id` (32 lower-case hex characters). */
  explainLog(id: string, onDelta?: (text: string) => void): InsightWatch {
    return this.#watch(
      `log:${id}`,
      { log_id: id },
      (signal) => this.#logPrompt(id, signal),
      onDelta,
    );
  }

  /** The explanation of the trace `id` (32 lower-case hex characters). */
  explainTrace(id: string, onDelta?: (text: string) => void): InsightWatch {
    return this.#watch(
      `trace:${id}`,
      { trace_id: id },
      (signal) => this.#tracePrompt(id, signal),
      onDelta,
    );
  }

  #watch(
    key: string,
    subject: Record<string, string>,
    prepare: (signal: AbortSignal) => Promise<Prepared>,
    onDelta?: (text: string) => void,
  ): InsightWatch {
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      onDelta?.(cached.insight);
      return { answer: Promise.resolve(cached), stop() {} };
    }
    let generation = this.#inFlight.get(key);
    if (generation === undefined) {
      const progress: Progress = { text: "", listeners: new Set() };
      const answer = this.#generate(key, subject, prepare, progress)
        .finally(() => this.#inFlight.delete(key));
      // Every watcher may stop before the end: the failure must not go unhandled then.
      answer.catch(() => {});
      generation = Object.assign(progress, { answer });
      this.#inFlight.set(key, generation);
    }
    if (onDelta !== undefined) {
      if (generation.text !== "") onDelta(generation.text);
      generation.listeners.add(onDelta);
    }
    const watched = generation;
    return { answer: watched.answer, stop: () => onDelta && watched.listeners.delete(onDelta) };
  }

  async #generate(
    key: string,
    subject: Record<string, string>,
    prepare: (signal: AbortSignal) => Promise<Prepared>,
    generation: Progress,
  ): Promise<InsightAnswer> {
    const { client, limits, logger } = this.#options;
    const started = performance.now();
    const deadline = new AbortController();
    let phase: Phase = "reads";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() =>
        deadline.abort(
          new AiProviderError(
            "timeout",
            `No progress within AI_TIMEOUT (${formatDurationMs(limits.timeoutMs)}) while ${
              PHASES[phase]
            }: retry later, or raise AI_TIMEOUT`,
          ),
        ), limits.timeoutMs);
    };
    arm();
    try {
      const prepared = await untilAborted(prepare(deadline.signal), deadline.signal);
      phase = "first";
      arm();
      const answer = await client.chat({
        messages: prepared.messages,
        temperature: TEMPERATURE,
        maxTokens: limits.maxTokens,
        signal: deadline.signal,
        onDelta: (text) => {
          phase = "next";
          arm();
          generation.text += text;
          for (const listener of generation.listeners) listener(text);
        },
      });
      const insight: InsightAnswer = { insight: answer.content, model: answer.model };
      this.#remember(key, insight);
      logger.debug("AI insight answered", {
        ...subject,
        model: answer.model,
        ...prepared.facts,
        ms: Math.round(performance.now() - started),
      });
      return insight;
    } catch (error) {
      if (!(error instanceof AiProviderError)) throw error;
      logger.warn("AI insight failed", { ...subject, reason: error.message });
      throw new InsightError(error.kind === "timeout" ? 504 : 502, error.message, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** A log record's prompt: the record, its service's records ±1 minute, its trace's spans. */
  async #logPrompt(id: string, signal: AbortSignal): Promise<Prepared> {
    const { store, limits } = this.#options;
    const context = await untilAborted(
      logContext(new URLSearchParams({ id, window: CONTEXT_WINDOW }), { store }),
      signal,
    );
    const spans = context.anchor.trace_id === "" ? [] : await untilAborted(
      store.traceSpans(
        context.anchor.trace_id,
        this.#options.traceMaxSpans ?? DEFAULT_TRACE_MAX_SPANS,
      ),
      signal,
    );
    const prompt = buildInsightPrompt({
      log: context.anchor,
      before: context.before,
      after: context.after,
      spans,
      contextWindow: "1 minute",
    }, limits.promptMaxBytes);
    return {
      messages: prompt.messages,
      facts: {
        prompt_bytes: prompt.bytes,
        context: `${prompt.contextShown}/${prompt.contextTotal}`,
        spans: `${prompt.spansShown}/${prompt.spansTotal}`,
      },
    };
  }

  /**
   * A trace's prompt, read without holding a huge trace whole: its structure (no attributes), the
   * first TRACE_DETAILED_SPANS failed spans whole, and its logs (the first TRACE_LOGS_LIMIT from a
   * minute before it to a minute after it).
   */
  async #tracePrompt(id: string, signal: AbortSignal): Promise<Prepared> {
    const { store, limits } = this.#options;
    const structure = await untilAborted(readTraceStructure(id, store), signal);
    const failed: number[] = [];
    for (let i = 0; i < structure.span_id.length; i++) {
      if (structure.status[i] === 2) failed.push(i);
    }
    failed.sort((a, b) => structure.start_ns[a]! - structure.start_ns[b]!);
    const detailed = await untilAborted(
      Promise.all(
        failed.slice(0, TRACE_DETAILED_SPANS).map((i) =>
          store.traceSpan(id, structure.span_id[i]!)
        ),
      ),
      signal,
    );
    const startNs = BigInt(structure.start_unix_nano);
    const logs = await untilAborted(
      store.logs({
        startNs: startNs - TRACE_LOGS_MARGIN_NS,
        endNs: startNs + BigInt(structure.duration_ns) + TRACE_LOGS_MARGIN_NS,
        traceId: id,
      }, { limit: TRACE_LOGS_LIMIT + 1, offset: 0, order: "asc" }),
      signal,
    );
    const prompt = buildTraceInsightPrompt({
      structure,
      failed,
      details: detailed.filter((span) => span !== undefined),
      criticalPath: criticalPath(structure),
      logs: logs.slice(0, TRACE_LOGS_LIMIT).map((log) => wireLog(log)),
      moreLogs: logs.length > TRACE_LOGS_LIMIT,
    }, limits.promptMaxBytes);
    return {
      messages: prompt.messages,
      facts: {
        prompt_bytes: prompt.bytes,
        failed: `${prompt.failedShown}/${prompt.failedTotal}`,
        critical_path: `${prompt.pathShown}/${prompt.pathTotal}`,
        logs: `${prompt.logsShown}/${prompt.logsTotal}`,
      },
    };
  }

  #remember(key: string, insight: InsightAnswer): void {
    const max = this.#options.limits.cacheEntries;
    if (max === 0) return;
    this.#cache.delete(key);
    this.#cache.set(key, insight);
    while (this.#cache.size > max) this.#cache.delete(this.#cache.keys().next().value!);
  }
}

/** Settles as `work` does, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The service for `config.ai` (AI_ENABLED, AI_PROVIDER and its settings), or undefined when off. */
export function insightService(
  config: AiConfig | null,
  deps: Pick<InsightServiceOptions, "store" | "logger" | "traceMaxSpans">,
): InsightService | undefined {
  if (config === null) return undefined;
  deps.logger.info(
    "AI insight is on",
    config.provider === "azure"
      ? {
        provider: config.provider,
        endpoint: new URL(config.endpoint).origin,
        deployment: config.deployment,
        api_version: config.apiVersion,
      }
      : {
        provider: config.provider,
        base_url: config.baseUrl,
        model: config.model,
        key: config.apiKey === "" ? "none" : "set",
      },
  );
  return new InsightService({
    ...deps,
    client: new ChatCompletionsClient(config),
    limits: {
      timeoutMs: config.timeoutMs,
      promptMaxBytes: config.promptMaxBytes,
      maxTokens: config.maxTokens,
      cacheEntries: config.cacheEntries,
    },
  });
}

/** The 503 of both routes while AI_ENABLED is false. */
function aiOff(): InsightError {
  return new InsightError(
    503,
    "AI insight is off: set AI_ENABLED=true with AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY " +
      "and AZURE_OPENAI_DEPLOYMENT, or with AI_PROVIDER=openai and AI_MODEL (AI_BASE_URL and " +
      "AI_API_KEY for a provider other than OpenAI or a local one) to turn it on",
  );
}

type InsightDeps = { insight?: Pick<InsightService, "explainLog" | "explainTrace"> };

/**
 * `GET /api/logs/{id}/insight`: the watch of the record's explanation, and its answer's wire form
 * (`WireLogInsight`).
 */
export function logInsight(idText: string, deps: InsightDeps) {
  if (deps.insight === undefined) throw aiOff();
  const id = parseHexId("id", idText, 32);
  const insight = deps.insight;
  return {
    watch: (onDelta?: (text: string) => void) => insight.explainLog(id, onDelta),
    wire: (answer: InsightAnswer): WireLogInsight => ({ log_id: id, ...answer }),
  };
}

/** `GET /api/traces/{trace_id}/insight`, as `logInsight` (`WireTraceInsight`). */
export function traceInsight(idText: string, deps: InsightDeps) {
  if (deps.insight === undefined) throw aiOff();
  const id = parseHexId("trace_id", idText, 32);
  const insight = deps.insight;
  return {
    watch: (onDelta?: (text: string) => void) => insight.explainTrace(id, onDelta),
    wire: (answer: InsightAnswer): WireTraceInsight => ({ trace_id: id, ...answer }),
  };
}
