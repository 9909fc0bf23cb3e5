/**
 * Seeded chance for the chaos services, keyed by the order rather than by arrival: a service asks
 * "does order 17 hit the database lock?" and gets the same answer under any concurrency, so a run
 * with a fixed seed fails the same orders every time, and the three processes need no shared state.
 *
 * @module
 */

/**
 * cyrb53 (public domain): a fast 53-bit string hash with good avalanche, enough to turn
 * `seed|service|purpose|key` into independent uniform draws.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A number in [0, 1), uniform over seeds and keys, the same for the same arguments. `purpose`
 * separates the draws one service makes for one key (whether to fail, and for how long).
 */
export function chance(seed: number, service: string, purpose: string, key: string): number {
  return hash53(`${seed}|${service}|${purpose}|${key}`) / 2 ** 53;
}

/** A number in [min, max) drawn as `chance` does. */
export function between(
  seed: number,
  service: string,
  purpose: string,
  key: string,
  min: number,
  max: number,
): number {
  return min + (max - min) * chance(seed, service, purpose, key);
}

/** A random seed for runs that did not ask for one (printed, so that they can be repeated). */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
