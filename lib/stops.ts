/**
 * What a process must stop, as one list: each part adds its stop once it has started, and one
 * `run()` stops them all, the last started first. The same list serves a failed start (what had
 * started is stopped, in order) and a signal.
 *
 * @module
 */
import type { Logger } from "./logger.ts";

export class Stops {
  readonly #steps: { name: string; stop: () => unknown }[] = [];
  readonly #logger: Pick<Logger, "warn">;

  constructor(logger: Pick<Logger, "warn">) {
    this.#logger = logger;
  }

  /** Adds `stop`, to be run before every step added earlier. */
  add(name: string, stop: () => unknown): void {
    this.#steps.push({ name, stop });
  }

  /**
   * Runs every step once, the last added first, each awaited; a step that throws is logged and
   * the others still run.
   */
  async run(): Promise<void> {
    while (this.#steps.length > 0) {
      const { name, stop } = this.#steps.pop()!;
      try {
        await stop();
      } catch (error) {
        this.#logger.warn("a part of Argus did not stop cleanly", { part: name, error });
      }
    }
  }
}
