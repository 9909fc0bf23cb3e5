/**
 * One process of bench/openai_package.ts: imports what `Deno.args[0]` names ("none", "ours": Argus's
 * chat-completions client, or the path of the `openai` package's `index.mjs`), makes its client,
 * and prints the import's milliseconds and the RSS and heap after a full GC, as one JSON line.
 * Run with `--v8-flags=--expose-gc`.
 *
 * @module
 */
const what = Deno.args[0] ?? "none";
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const started = performance.now();
if (what === "ours") {
  const { ChatCompletionsClient } = await import("../lib/chat_completions.ts");
  new ChatCompletionsClient(
    {
      provider: "openai",
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      apiKey: "x",
    } as ConstructorParameters<typeof ChatCompletionsClient>[0],
  );
} else if (what !== "none") {
  const { default: OpenAI } = await import(new URL(`file://${what}`).href);
  new OpenAI({ apiKey: "x", baseURL: "http://127.0.0.1:9/v1" });
}
const importMs = performance.now() - started;
gc();
const memory = Deno.memoryUsage();
// deno-lint-ignore no-console -- the one line the benchmark reads
console.log(JSON.stringify({ importMs, rss: memory.rss, heapUsed: memory.heapUsed }));
