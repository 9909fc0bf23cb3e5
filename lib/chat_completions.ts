/**
 * A chat-completions client for AI insight's two kinds of provider (`AI_PROVIDER`):
 * - `azure`: Azure OpenAI's REST API, `POST {endpoint}/openai/deployments/{deployment}/chat/
 *   completions?api-version={version}` with the `api-key` header;
 * - `openai`: an OpenAI-style API, `POST {AI_BASE_URL}/chat/completions` with `model` in the body
 *   and `Authorization: Bearer {AI_API_KEY}` when a key is set: OpenAI itself, and the local
 *   servers that speak its API (Ollama, vLLM, LM Studio), which need no key.
 *
 * Every request asks for a streamed answer (`stream: true`): the provider's server-sent events,
 * read with `eventsource-parser`, hand each piece of the answer to `onDelta` as it is generated;
 * a provider that answers one JSON completion instead is read as one piece.
 *
 * Plain `fetch` rather than the `openai` package: Argus needs this one call, and owning it keeps
 * the timeout (one deadline, no hidden retries), the mapping of every failure to a sentence naming
 * the setting to check, and the key (never in a message) in view; the package would add its
 * retries and its own errors to translate, for one request shape both providers share, and its
 * import costs start-up (docs/benchmarks.md, "The openai package").
 *
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { AiConfig } from "./config.ts";
import { errorMessage } from "../utils/errors.ts";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
  /** Ends the call (a deadline): the promise rejects with an `AiProviderError` of kind "timeout". */
  signal?: AbortSignal;
  /**
   * Each piece of the answer as the provider generates it, in order (leading white space left
   * out); together they are the answer's content, give or take its trailing white space.
   */
  onDelta?: (text: string) => void;
}

export interface ChatAnswer {
  /** The assistant's message. */
  content: string;
  /** The model as the provider names it (e.g. `gpt-4o-mini-2024-07-18`), else the deployment. */
  model: string;
}

/**
 * The provider did not give an answer: "timeout" when the caller's signal ended the call,
 * "provider" for everything else (unreachable, refused, failed, or an answer that is not a chat
 * completion). The message says which, with the reason and never the key.
 */
export class AiProviderError extends Error {
  constructor(readonly kind: "timeout" | "provider", message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AiProviderError";
  }
}

/** Longest piece of a provider's error message repeated in ours. */
const MAX_REASON_CHARS = 300;

/** Where and how one provider is asked, and the settings its failures name. */
interface Target {
  url: string;
  headers: Record<string, string>;
  /** Body fields besides the messages and limits (`model` for an OpenAI-style API). */
  body: Record<string, unknown>;
  /** The model as configured, answered when the provider does not name one. */
  model: string;
  /** What to check when the credentials are refused. */
  credentials: string;
  /** What to say when the provider has no such model or deployment (HTTP 404). */
  notFound: string;
}

function targetOf(config: AiConfig): Target {
  if (config.provider === "azure") {
    return {
      url: chatCompletionsUrl(config),
      headers: { "api-key": config.apiKey },
      body: {},
      model: config.deployment,
      credentials: "AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT",
      notFound: `The AI provider has no deployment "${config.deployment}" at this endpoint and ` +
        "API version (HTTP 404): check AZURE_OPENAI_DEPLOYMENT, AZURE_OPENAI_ENDPOINT and " +
        "AZURE_OPENAI_API_VERSION",
    };
  }
  return {
    url: `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`,
    headers: config.apiKey === "" ? {} : { authorization: `Bearer ${config.apiKey}` },
    body: { model: config.model },
    model: config.model,
    credentials: "AI_API_KEY and AI_BASE_URL",
    notFound: `The AI provider at AI_BASE_URL has no model "${config.model}" or no ` +
      "/chat/completions (HTTP 404): check AI_MODEL and AI_BASE_URL",
  };
}

export class ChatCompletionsClient {
  readonly #config: AiConfig;
  readonly #target: Target;
  readonly #url: string;
  readonly #fetch: typeof fetch;

  constructor(config: AiConfig, options: { fetch?: typeof fetch } = {}) {
    this.#config = config;
    this.#target = targetOf(config);
    this.#url = this.#target.url;
    this.#fetch = options.fetch ?? fetch;
  }

  async chat(request: ChatRequest): Promise<ChatAnswer> {
    const { signal } = request;
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream, application/json",
          ...this.#target.headers,
        },
        body: JSON.stringify({
          ...this.#target.body,
          messages: request.messages,
          temperature: request.temperature,
          max_tokens: request.maxTokens,
          stream: true,
        }),
        signal,
      });
      if (response.ok && isEventStream(response) && response.body !== null) {
        return await this.#readStream(response.body, request);
      }
      const text = await response.text();
      if (!response.ok) throw this.#statusError(response, text);
      const answer = this.#answer(text);
      request.onDelta?.(answer.content);
      return answer;
    } catch (error) {
      if (error instanceof AiProviderError) throw error;
      if (signal?.aborted) throw timeoutError(signal);
      throw new AiProviderError(
        "provider",
        `Cannot reach the AI provider at ${new URL(this.#url).origin}: ${
          this.#redact(errorMessage(error))
        }`,
        { cause: error },
      );
    }
  }

  /**
   * A streamed completion: `data:` events of `chat.completion.chunk`s, each with a piece of the
   * answer in `choices[0].delta.content`, ended by `data: [DONE]`. Azure sends a first chunk
   * without choices (its prompt filter's results), which is passed over.
   */
  async #readStream(body: ReadableStream<Uint8Array>, request: ChatRequest): Promise<ChatAnswer> {
    const { signal, onDelta } = request;
    let content = "";
    let model: string | undefined;
    let finish: string | undefined;
    let ended = false;
    let failure: AiProviderError | undefined;
    const onEvent = (event: EventSourceMessage) => {
      if (event.data === "[DONE]") {
        ended = true;
        return;
      }
      let chunk: StreamChunk;
      try {
        chunk = JSON.parse(event.data) as StreamChunk;
      } catch {
        failure ??= new AiProviderError(
          "provider",
          `The AI provider's stream has an event that is not JSON: it starts with ${
            JSON.stringify(this.#redact(event.data.slice(0, 80)))
          }`,
        );
        return;
      }
      if (chunk?.error !== undefined && chunk.error !== null) {
        const said = this.#redact(providerMessage(JSON.stringify({ error: chunk.error })));
        failure ??= new AiProviderError(
          "provider",
          `The AI provider failed while answering${said === "" ? "" : `: ${said}`}`,
        );
        return;
      }
      if (typeof chunk?.model === "string" && chunk.model !== "") model = chunk.model;
      const choice = chunk?.choices?.[0];
      const delta = choice?.delta?.content;
      if (typeof delta === "string" && delta !== "") {
        const piece = content.trim() === "" ? delta.trimStart() : delta;
        content += delta;
        if (piece !== "") onDelta?.(piece);
      }
      if (typeof choice?.finish_reason === "string") finish = choice.finish_reason;
    };
    const parser = createParser({ onEvent });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      while (!ended && failure === undefined) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (signal?.aborted) throw timeoutError(signal);
      throw new AiProviderError(
        "provider",
        `The AI provider's answer broke off after ${content.length} characters: ${
          this.#redact(errorMessage(error))
        }`,
        { cause: error },
      );
    } finally {
      reader.cancel().catch(() => {});
    }
    if (failure !== undefined) throw failure;
    if (finish === "content_filter") {
      throw new AiProviderError(
        "provider",
        "The AI provider withheld its answer (finish_reason content_filter)",
      );
    }
    if (!ended && finish === undefined) {
      throw new AiProviderError(
        "provider",
        `The AI provider's answer broke off after ${content.length} characters: its stream ` +
          "ended without a finish_reason or [DONE]",
      );
    }
    if (content.trim() === "") {
      throw new AiProviderError(
        "provider",
        "The AI provider's answer is empty: its stream held no choices[0].delta.content",
      );
    }
    return { content: content.trim(), model: model ?? this.#target.model };
  }

  #statusError(response: Response, text: string): AiProviderError {
    const status = response.status;
    const said = this.#redact(providerMessage(text));
    const reason = said === "" ? "" : `: ${said}`;
    let message: string;
    if (status === 401 || status === 403) {
      message = `The AI provider refused the credentials (HTTP ${status}): check ` +
        `${this.#target.credentials}${reason}`;
    } else if (status === 404) {
      message = `${this.#target.notFound}${reason}`;
    } else if (status === 429) {
      const after = response.headers.get("retry-after");
      message = `The AI provider is limiting requests (HTTP 429)${
        after ? `: retry after ${after} s` : ": retry later"
      }${reason}`;
    } else if (status >= 500) {
      message = `The AI provider failed (HTTP ${status})${reason}`;
    } else {
      message = `The AI provider refused the request (HTTP ${status})${reason}`;
    }
    return new AiProviderError("provider", message);
  }

  #answer(text: string): ChatAnswer {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new AiProviderError(
        "provider",
        `The AI provider's answer is not JSON: it starts with ${
          JSON.stringify(this.#redact(text.slice(0, 80)))
        }`,
        { cause: error },
      );
    }
    const choice = (body as { choices?: unknown[] } | null)?.choices?.[0] as
      | { message?: { content?: unknown }; finish_reason?: unknown }
      | undefined;
    const content = choice?.message?.content;
    if (typeof content !== "string" || content.trim() === "") {
      const finish = typeof choice?.finish_reason === "string" ? choice.finish_reason : undefined;
      throw new AiProviderError(
        "provider",
        finish === "content_filter"
          ? "The AI provider withheld its answer (finish_reason content_filter)"
          : "The AI provider's answer is not a chat completion: it has no choices[0].message.content",
      );
    }
    const model = (body as { model?: unknown }).model;
    return {
      content: content.trim(),
      model: typeof model === "string" && model !== "" ? model : this.#target.model,
    };
  }

  /** The text with the key hidden, should a provider or a network error ever repeat it. */
  #redact(text: string): string {
    const key = this.#config.apiKey;
    return key === "" ? text : text.replaceAll(key, "***");
  }
}

/** One event of a streamed completion, as far as it is read. */
interface StreamChunk {
  model?: unknown;
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  /** Some servers (vLLM, Ollama) report a failure inside the stream. */
  error?: unknown;
}

function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").toLowerCase().startsWith(
    "text/event-stream",
  );
}

/** The chat-completions URL of an Azure deployment; a trailing `/` of the endpoint is ignored. */
export function chatCompletionsUrl(config: AiConfig): string {
  const base = config.endpoint.replace(/\/+$/, "");
  return `${base}/openai/deployments/${encodeURIComponent(config.deployment)}/chat/completions` +
    `?api-version=${encodeURIComponent(config.apiVersion)}`;
}

/** The caller's own error when it aborted with an `AiProviderError` (its deadline), else ours. */
function timeoutError(signal: AbortSignal): AiProviderError {
  const reason = signal.reason;
  if (reason instanceof AiProviderError) return reason;
  return new AiProviderError("timeout", "The AI provider did not answer in time", {
    cause: reason,
  });
}

/** Azure's `{"error": {"code", "message"}}` sentence, else the start of the body. */
function providerMessage(text: string): string {
  let said: string;
  try {
    const error = (JSON.parse(text) as { error?: { message?: unknown; code?: unknown } })?.error;
    said = typeof error?.message === "string"
      ? error.message
      : typeof error?.code === "string"
      ? error.code
      : text;
  } catch {
    said = text;
  }
  said = said.replace(/\s+/g, " ").trim();
  return said.length > MAX_REASON_CHARS ? `${said.slice(0, MAX_REASON_CHARS)}…` : said;
}
