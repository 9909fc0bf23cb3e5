/**
 * Items per second over a sliding window (the last minute by default), in one-second buckets:
 * `/api/health`'s `ingestion_rate`.
 *
 * @module
 */
export class RateMeter {
  readonly #buckets: Float64Array;
  #second = 0;

  constructor(private readonly windowSeconds = 60, private readonly now: () => number = Date.now) {
    this.#buckets = new Float64Array(windowSeconds);
    this.#second = Math.floor(now() / 1000);
  }

  /** Counts `count` items now. */
  mark(count: number): void {
    this.#advance();
    this.#buckets[this.#second % this.windowSeconds]! += count;
  }

  /** Average items per second over the window. */
  perSecond(): number {
    this.#advance();
    let total = 0;
    for (const count of this.#buckets) total += count;
    return total / this.windowSeconds;
  }

  #advance(): void {
    const second = Math.floor(this.now() / 1000);
    const elapsed = Math.min(second - this.#second, this.windowSeconds);
    for (let i = 1; i <= elapsed; i++) this.#buckets[(this.#second + i) % this.windowSeconds] = 0;
    if (second > this.#second) this.#second = second;
  }
}
