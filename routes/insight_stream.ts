/**
 * The answer of an insight route (routes/insight.ts): the whole explanation as JSON, or, when the
 * request accepts `text/event-stream`, the explanation streamed as server-sent events
 * (`WireInsightEvent`: `delta`s, then `done` or `error`).
 *
 * A stream starts with the explanation's first piece: a failure before it (no such record, AI
 * off, the provider refusing or not answering) is answered with its status and JSON error, as
 * the JSON route answers it, so a client learns it from the status. A failure after it ends the
 * stream with an `error` event. A client that goes away stops watching; the explanation goes on
 * for the cache and for anyone else watching it.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import type { WireInsightEvent, WireLogInsight, WireTraceInsight } from "../utils/wire.ts";
import { HttpError } from "./http_error.ts";
import type { InsightAnswer, InsightWatch } from "./insight.ts";

/** What an insight route hands over: how to watch its explanation, and its answer's wire form. */
export interface InsightSubject {
  watch(onDelta?: (text: string) => void): InsightWatch;
  wire(answer: InsightAnswer): WireLogInsight | WireTraceInsight;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** Whether the client asked for the stream: `text/event-stream` in its Accept header. */
export function wantsStream(request: Request): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(request.headers.get("accept") ?? "");
}

function eventText(event: WireInsightEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** The `error` event's status and sentence; an error that is not an HttpError names no internals. */
function errorEvent(error: unknown, logger: Logger): WireInsightEvent {
  if (error instanceof HttpError) {
    return { event: "error", data: { status: error.status, error: error.message } };
  }
  logger.error("AI insight failed", { error });
  return {
    event: "error",
    data: { status: 500, error: "Internal server error: see the Argus log" },
  };
}

export async function insightResponse(
  request: Request,
  subject: InsightSubject,
  logger: Logger,
): Promise<Response> {
  if (!wantsStream(request)) {
    const answer = await subject.watch().answer;
    return new Response(JSON.stringify(subject.wire(answer)), {
      headers: { "content-type": JSON_TYPE },
    });
  }

  const pieces: string[] = [];
  let settled: { ok: true; answer: InsightAnswer } | { ok: false; error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  /** Resolves at the next piece or the end (at once when one is waiting). */
  const next = () =>
    pieces.length > 0 || settled !== undefined
      ? Promise.resolve()
      : new Promise<void>((resolve) => wake = resolve);

  const watch = subject.watch((text) => {
    pieces.push(text);
    notify();
  });
  watch.answer.then(
    (answer) => settled = { ok: true, answer },
    (error: unknown) => settled = { ok: false, error },
  ).finally(notify);

  await next();
  if (pieces.length === 0 && settled?.ok === false) {
    watch.stop();
    throw settled.error;
  }

  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await next();
      if (pieces.length > 0) {
        const text = pieces.splice(0).join("");
        controller.enqueue(encoder.encode(eventText({ event: "delta", data: { text } })));
        return;
      }
      const end = settled!;
      watch.stop();
      controller.enqueue(encoder.encode(eventText(
        end.ok ? { event: "done", data: subject.wire(end.answer) } : errorEvent(end.error, logger),
      )));
      controller.close();
    },
    cancel() {
      watch.stop();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      // A proxy in front (nginx) passes each event on at once rather than buffering the stream.
      "x-accel-buffering": "no",
    },
  });
}
