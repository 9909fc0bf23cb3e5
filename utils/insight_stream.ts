/**
 * The browser's reader of an AI insight (`GET /api/logs/{id}/insight`,
 * `GET /api/traces/{trace_id}/insight`) streamed as server-sent events (`WireInsightEvent`):
 * each piece goes to `onDelta` as the model writes it, and the promise settles with the whole
 * answer, or rejects with an `ApiError` carrying the status the server gave (before the stream
 * or in its `error` event). `fetch` rather than `EventSource`, which cannot tell a 503 from a
 * dropped connection and reconnects on its own.
 *
 * @module
 */
import { createParser } from "eventsource-parser";
import { ApiError } from "./api.ts";
import type { WireInsightEvent, WireLogInsight, WireTraceInsight } from "./wire.ts";

export type WireInsight = WireLogInsight | WireTraceInsight;

export async function streamInsight(
  path: string,
  options: { signal?: AbortSignal; onDelta: (text: string) => void },
): Promise<WireInsight> {
  const response = await fetch(path, {
    headers: { accept: "text/event-stream" },
    signal: options.signal,
  });
  if (!response.ok || response.body === null) {
    const text = await response.text();
    let message = `HTTP ${response.status}`;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      // not JSON: the status says it
    }
    throw new ApiError(response.status, message);
  }
  let outcome: WireInsight | ApiError | undefined;
  const parser = createParser({
    onEvent: (message) => {
      const event = { event: message.event, data: JSON.parse(message.data) } as WireInsightEvent;
      if (event.event === "delta") options.onDelta(event.data.text);
      else if (event.event === "done") outcome = event.data;
      else if (event.event === "error") outcome = new ApiError(event.data.status, event.data.error);
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  if (outcome === undefined) {
    throw new ApiError(0, "The explanation broke off before it was complete: try again");
  }
  if (outcome instanceof ApiError) throw outcome;
  return outcome;
}
