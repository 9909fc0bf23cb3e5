/**
 * Argus's access decisions, in one place for every receiver: comparing tokens, finding a request's
 * credentials, which Host names a request may address (DNS rebinding) and which page origins may
 * act on Argus (cross-site requests). Pure functions over header values; the answers built on them
 * are in routes/middleware/ (UI, API, `/ws`), ingest/otlp_http.ts and ingest/grpc_gateway.ts.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * True when `given` is `expected`. Both are hashed first, so the comparison takes the same time
 * whatever the length or the first differing character of `given` (no timing oracle).
 */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (given === null || given === undefined || expected === "") return false;
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** The token of an `Authorization: Bearer <token>` header value (scheme in any case), if any. */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}

/** How a request's credential compares with the token required. */
export type CredentialCheck = "ok" | "missing" | "wrong";

/**
 * The OTLP ingest credential, read by both receivers: `Authorization: Bearer <token>` or
 * `x-api-key: <token>` (either may carry it). `header` reads one header or metadata value.
 */
export function checkIngestToken(
  header: (name: string) => string | null | undefined,
  token: string,
): CredentialCheck {
  const candidates = [bearerToken(header("authorization")), header("x-api-key")?.trim()]
    .filter((value): value is string => value !== undefined && value !== null && value !== "");
  if (candidates.length === 0) return "missing";
  // Every candidate is compared, so the time taken does not say which one matched.
  return candidates.map((value) => tokenMatches(value, token)).includes(true) ? "ok" : "wrong";
}

/** The answer to a request without the right ingest token (both receivers say the same). */
export function ingestTokenMessage(check: Exclude<CredentialCheck, "ok">): string {
  return check === "missing"
    ? "This Argus requires INGEST_TOKEN for OTLP: send 'Authorization: Bearer <token>' or " +
      "'x-api-key: <token>' (the exporter's headers setting)"
    : "The ingest token sent is not INGEST_TOKEN: check the exporter's 'Authorization: Bearer' " +
      "or 'x-api-key' header";
}

/** A host name or address as compared: lower case, IPv6 without brackets, no final dot. */
function normalizeHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}

/** The host name of a `Host` header value (`name[:port]`, `[v6][:port]`), normalized. */
export function hostnameOf(host: string): string | undefined {
  try {
    // The URL parser also canonicalizes addresses: 0x7f.1 and 127.1 are 127.0.0.1.
    return normalizeHostname(new URL(`http://${host.trim()}`).hostname);
  } catch {
    return undefined;
  }
}

/** True for `localhost` (and `*.localhost`), 127.0.0.0/8 and ::1, written in any form. */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
  if (name === undefined) return false;
  return name === "localhost" || name.endsWith(".localhost") || /^127(\.\d+){3}$/.test(name) ||
    name === "::1";
}

/** Which `Host` names the HTTP receivers answer to (protection against DNS rebinding). */
export interface HostPolicy {
  /** False when every Host is accepted: HOST is not loopback and ALLOWED_HOSTS is empty. */
  enforced: boolean;
  /** Names accepted besides the loopback ones: ALLOWED_HOSTS and HOST itself, normalized. */
  allowed: ReadonlySet<string>;
}

/** The policy for a server bound to `bindHost` (HOST) with `allowedHosts` (ALLOWED_HOSTS). */
export function hostPolicy(bindHost: string, allowedHosts: readonly string[] = []): HostPolicy {
  const allowed = new Set(allowedHosts.map(normalizeHostname));
  // The address Argus binds to is how its own gateway (and its users) reach it.
  if (bindHost !== "0.0.0.0" && bindHost !== "::") allowed.add(normalizeHostname(bindHost));
  return { enforced: isLoopbackHost(bindHost) || allowedHosts.length > 0, allowed };
}

/** Accepts every Host: for servers that are not reachable by browsers' pages (tests). */
export const ANY_HOST: HostPolicy = { enforced: false, allowed: new Set() };

/**
 * True when a request addressed to `host` (its Host header) may be answered. A browser tricked by
 * DNS rebinding sends the attacker's name as Host, which is neither loopback nor allowed.
 */
export function hostAllowed(host: string | null, policy: HostPolicy): boolean {
  // Browsers always send Host; a request without one is not a rebinding attack.
  if (!policy.enforced || host === null) return true;
  const name = hostnameOf(host);
  if (name === undefined) return false;
  return isLoopbackHost(name.includes(":") ? `[${name}]` : name) || policy.allowed.has(name);
}

/** The sentence of a refused Host, naming it and what is accepted. */
export function hostRefusedMessage(host: string, policy: HostPolicy): string {
  const allowed = ["localhost", "127.0.0.1", "[::1]", ...policy.allowed].filter((name, i, all) =>
    all.indexOf(name) === i
  );
  return `Host ${JSON.stringify(host)} is not allowed: this Argus answers to ${
    allowed.join(", ")
  } (add the name to ALLOWED_HOSTS; this protects against DNS rebinding)`;
}

/** `scheme://host[:port]` of a URL text, or undefined when it is not one (e.g. "null"). */
export function originOf(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.origin === "null" ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * True when a browser page of `origin` may act on this server (send a state change, open `/ws`):
 * the page came from `host`, the host the request is addressed to, or its origin is listed in
 * `allowed` (CORS_ORIGINS). An opaque origin ("null") never may.
 *
 * The Host is read with the page's scheme, so that a default port compares equal written or not;
 * schemes are not compared, as a TLS-terminating proxy in front changes them.
 */
export function originAllowed(
  origin: string,
  host: string,
  allowed: ReadonlySet<string> = new Set(),
): boolean {
  const page = originOf(origin);
  if (page === undefined) return false;
  if (allowed.has(page)) return true;
  return originOf(`${new URL(page).protocol}//${host}`) === page;
}

/**
 * A browser session: `<expiry>.<HMAC-SHA256 of the expiry keyed by the API token>`, the expiry in
 * Unix seconds. Stateless: nothing is stored, the token itself never reaches the browser, and
 * changing API_TOKEN ends every session.
 */
export function sessionValue(apiToken: string, expiresS: number): string {
  const mac = createHmac("sha256", apiToken).update(`argus-session:${expiresS}`).digest();
  return `${expiresS}.${mac.toString("base64url")}`;
}

/** True when `value` is a session made with `apiToken` that has not expired at `nowMs`. */
export function sessionValid(value: string | undefined, apiToken: string, nowMs: number): boolean {
  const match = /^(\d{1,12})\.([\w-]{43})$/.exec(value ?? "");
  if (!match) return false;
  const expiresS = Number(match[1]);
  if (expiresS * 1000 <= nowMs) return false;
  const given = Buffer.from(match[2]!, "base64url");
  const expected = createHmac("sha256", apiToken).update(`argus-session:${expiresS}`).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The value of cookie `name` in a `Cookie` header, if present. */
export function cookieValue(header: string | null, name: string): string | undefined {
  for (const pair of (header ?? "").split(";")) {
    const equals = pair.indexOf("=");
    if (equals > 0 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return undefined;
}

/**
 * The warning for an Argus reachable beyond this machine without the tokens that protect it, or
 * undefined. Logged at start-up and shown as a banner on every page.
 */
export function exposureWarning(
  host: string,
  tokens: { apiToken: string | null; ingestToken: string | null },
): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const open: string[] = [];
  if (tokens.apiToken === null) {
    open.push("API_TOKEN (anyone who can reach it reads all telemetry)");
  }
  if (tokens.ingestToken === null) open.push("INGEST_TOKEN (anyone can send it data)");
  if (open.length === 0) return undefined;
  return `Argus listens on ${host}, beyond this machine, without ${open.join(" and without ")}. ` +
    `Set ${open.length === 2 ? "them" : "it"} (README, "Security") or HOST=127.0.0.1`;
}

/**
 * Where to send a browser after it logged in: `next` when it is a path of this server, else "/".
 * Browsers drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.example` or
 * `/\evil.example` would become the off-site `//evil.example`: any control character or
 * backslash refuses `next`, and so does anything that, resolved against this server, leaves it.
 */
export function sameSitePath(next: string | null): string {
  // deno-lint-ignore no-control-regex -- control characters are what is refused here
  if (next === null || !next.startsWith("/") || /[\x00-\x1f\x7f\\]/.test(next)) return "/";
  if (next.startsWith("//")) return "/";
  const base = "http://argus.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return "/";
  }
  const path = url.pathname + url.search + url.hash;
  if (url.origin !== base || path.startsWith("//")) return "/";
  return path;
}

/**
 * The key a client's attempts are counted under: its IP address, or its /64 network for IPv6
 * (one host usually holds a whole /64, so counting single addresses would count nothing).
 */
export function clientKey(address: { hostname: string } | undefined): string {
  const host = address?.hostname;
  if (host === undefined || host === "") return "unknown";
  if (!host.includes(":")) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1]!;
  // Expand "::" so that the first four groups are the /64 prefix.
  const [head = "", tail] = host.toLowerCase().split("::");
  const groups = head === "" ? [] : head.split(":");
  if (tail !== undefined) {
    const rest = tail === "" ? [] : tail.split(":");
    while (groups.length + rest.length < 8) groups.push("0");
    groups.push(...rest);
  }
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}

/**
 * Counts attempts per client in fixed windows (e.g. logins per minute): past `limit` in a
 * window, an attempt is refused until the window ends. Remembers at most `maxClients` clients
 * (expired windows are dropped first, then the oldest), so an attacker with many addresses
 * cannot grow the server's memory.
 */
export class AttemptLimiter {
  readonly #windows = new Map<string, { startMs: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    readonly maxClients = 10_000,
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `Cannot use 'limit' as it must be a positive integer: current value is ${limit}`,
      );
    }
  }

  /** Clients remembered now. */
  get size(): number {
    return this.#windows.size;
  }

  /** Records an attempt: undefined when it is allowed, else the seconds until one is. */
  attempt(client: string, nowMs: number): number | undefined {
    let window = this.#windows.get(client);
    if (window === undefined || nowMs - window.startMs >= this.windowMs) {
      if (window !== undefined) this.#windows.delete(client);
      else if (this.#windows.size >= this.maxClients) this.#makeRoom(nowMs);
      window = { startMs: nowMs, count: 0 };
      this.#windows.set(client, window);
    }
    window.count++;
    if (window.count <= this.limit) return undefined;
    return Math.max(1, Math.ceil((window.startMs + this.windowMs - nowMs) / 1000));
  }

  #makeRoom(nowMs: number): void {
    for (const [client, window] of this.#windows) {
      if (nowMs - window.startMs >= this.windowMs) this.#windows.delete(client);
    }
    // Entries are in the order their windows began: the first is the oldest.
    while (this.#windows.size >= this.maxClients) {
      this.#windows.delete(this.#windows.keys().next().value!);
    }
  }
}
