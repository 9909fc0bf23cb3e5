/**
 * Run by dead_letter_queue_test.ts in a child process whose file size limit (`ulimit -f`) stands
 * in for a full disk: writes a small batch (which fits), then a large one (which cannot), and
 * prints what `write()` did as one JSON line.
 */
import { DeadLetterQueue } from "../../dead_letter_queue.ts";
import { createLogger } from "../../../lib/logger.ts";
import { buildBatch } from "../../../tests/builders.ts";

const dir = Deno.args[0];
if (dir === undefined) throw new TypeError("Pass the DLQ folder as the first argument");
const dlq = new DeadLetterQueue({
  dir,
  maxBytes: 1_073_741_824,
  logger: createLogger("error", () => {}),
});
const small = await dlq.write(buildBatch(2, 2, 7));
let error: string | undefined;
try {
  await dlq.write(buildBatch(2_000, 0, 8));
} catch (e) {
  error = e instanceof Error ? e.message : String(e);
}
// deno-lint-ignore no-console -- the parent test reads this line
console.log(JSON.stringify({ small, error, size: dlq.size(), counters: dlq.counters }));
