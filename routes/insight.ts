/**
 * `GET /api/logs/{id}/insight`: an AI explanation of one log record (what likely happened, what to
 * check next) from Azure OpenAI, off unless `AI_ENABLED` is true.
 *
 * `InsightService` reads the record, its service's records ±1 minute around it and its trace's
 * spans, builds the prompt (insight_prompt.ts), and asks the provider (lib/chat_completions.ts).
 * Answers are kept per log id in a bounded LRU; concurrent requests for one id share one provider
 * call. `AI_TIMEOUT` bounds the whole of it (reads and provider), so the route is not `timed`
 * by QUERY_TIMEOUT, which is shorter by default and would cut the provider short.
 *
 * @module
 */
import { DEFAULT_TRACE_MAX_SPANS } from "./traces.ts";
import {
  AiProviderError,
  ChatCompletionsClient,
  type ChatRequest,
} from "../lib/chat_completions.ts";
import type { AiConfig } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import { formatDurationMs } from "../lib/units.ts";
import type { Store } from "../store/mod.ts";
import { logContext } from "./logs.ts";
import { buildInsightPrompt } from "./insight_prompt.ts";
import { parseHexId } from "./query_params.ts";
import { HttpError } from "./http_error.ts";
import type { WireLogInsight } from "../utils/wire.ts";

/** The answer of `GET /api/logs/{id}/insight` (utils/wire.ts). */
export type LogInsight = WireLogInsight;

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

export interface InsightLimits {
  /** Milliseconds one explanation may take: database reads and the provider's answer. */
  timeoutMs: number;
  /** Bytes of prompt (system and user messages), at most. */
  promptMaxBytes: number;
  maxTokens: number;
  /** Answers kept, by log id; 0 keeps none. */
  cacheEntries: number;
}

export interface InsightServiceOptions {
  store: Pick<Store, "logById" | "logs" | "traceSpans">;
  client: { chat(request: ChatRequest): Promise<{ content: string; model: string }> };
  limits: InsightLimits;
  logger: Logger;
  /**
   * TRACE_MAX_SPANS: the most spans of the record's trace read for the prompt (the first by start
   * time), so that a huge trace is never held whole.
   */
  traceMaxSpans?: number;
}

export class InsightService {
  readonly #options: InsightServiceOptions;
  /** Map order is use order: the first key is the least recently used. */
  readonly #cache = new Map<string, LogInsight>();
  readonly #inFlight = new Map<string, Promise<LogInsight>>();

  constructor(options: InsightServiceOptions) {
    this.#options = options;
  }

  /** The explanation of the log `id` (32 lower-case hex characters). */
  explain(id: string): Promise<LogInsight> {
    const cached = this.#cache.get(id);
    if (cached !== undefined) {
      this.#cache.delete(id);
      this.#cache.set(id, cached);
      return Promise.resolve(cached);
    }
    let pending = this.#inFlight.get(id);
    if (pending === undefined) {
      pending = this.#compute(id).finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, pending);
    }
    return pending;
  }

  async #compute(id: string): Promise<LogInsight> {
    const { store, client, limits, logger } = this.#options;
    const started = performance.now();
    const deadline = new AbortController();
    let phase = "reading the record and its context from the database";
    const timer = setTimeout(() =>
      deadline.abort(
        new AiProviderError(
          "timeout",
          `No explanation within AI_TIMEOUT (${
            formatDurationMs(limits.timeoutMs)
          }) while ${phase}: retry later, or raise AI_TIMEOUT`,
        ),
      ), limits.timeoutMs);
    try {
      const context = await untilAborted(
        logContext(new URLSearchParams({ id, window: CONTEXT_WINDOW }), { store }),
        deadline.signal,
      );
      const spans = context.anchor.trace_id === "" ? [] : await untilAborted(
        store.traceSpans(
          context.anchor.trace_id,
          this.#options.traceMaxSpans ?? DEFAULT_TRACE_MAX_SPANS,
        ),
        deadline.signal,
      );
      const prompt = buildInsightPrompt({
        log: context.anchor,
        before: context.before,
        after: context.after,
        spans,
        contextWindow: "1 minute",
      }, limits.promptMaxBytes);
      phase = "waiting for the AI provider's answer";
      const answer = await client.chat({
        messages: prompt.messages,
        temperature: TEMPERATURE,
        maxTokens: limits.maxTokens,
        signal: deadline.signal,
      });
      const insight: LogInsight = { log_id: id, insight: answer.content, model: answer.model };
      this.#remember(insight);
      logger.debug("AI insight answered", {
        log_id: id,
        model: answer.model,
        prompt_bytes: prompt.bytes,
        context: `${prompt.contextShown}/${prompt.contextTotal}`,
        spans: `${prompt.spansShown}/${prompt.spansTotal}`,
        ms: Math.round(performance.now() - started),
      });
      return insight;
    } catch (error) {
      if (!(error instanceof AiProviderError)) throw error;
      logger.warn("AI insight failed", { log_id: id, reason: error.message });
      throw new InsightError(error.kind === "timeout" ? 504 : 502, error.message, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  #remember(insight: LogInsight): void {
    const max = this.#options.limits.cacheEntries;
    if (max === 0) return;
    this.#cache.delete(insight.log_id);
    this.#cache.set(insight.log_id, insight);
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

/** `GET /api/logs/{id}/insight`. */
export async function logInsight(
  idText: string,
  deps: { insight?: Pick<InsightService, "explain"> },
): Promise<LogInsight> {
  if (deps.insight === undefined) {
    throw new InsightError(
      503,
      "AI insight is off: set AI_ENABLED=true with AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY " +
        "and AZURE_OPENAI_DEPLOYMENT, or with AI_PROVIDER=openai and AI_MODEL (AI_BASE_URL and " +
        "AI_API_KEY for a provider other than OpenAI or a local one) to turn it on",
    );
  }
  return await deps.insight.explain(parseHexId("id", idText, 32));
}
