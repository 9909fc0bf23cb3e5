/**
 * The islands' one way to call Argus's API: JSON in, the server's error sentence out as an
 * `ApiError` (so islands can show it as is), and `errorSentence()` for any failure of a call.
 *
 * @module
 */

import { errorMessage } from "./errors.ts";

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** Query parameters; undefined and empty values are left out. */
export type Params = Record<string, string | number | undefined | null>;

export function apiUrl(path: string, params: Params = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const query = search.toString();
  return query === "" ? path : `${path}?${query}`;
}

export async function getJson<T>(
  path: string,
  params: Params = {},
  init?: RequestInit,
): Promise<T> {
  const response = await fetch(apiUrl(path, params), init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, `Argus answered ${response.status} with no JSON`);
  }
  if (!response.ok) {
    const message = (body as { error?: string } | null)?.error ?? `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return body as T;
}

/** An error as a sentence to show: the API's own, or the network's. */
export function errorSentence(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return `Cannot reach Argus: ${error.message}`;
  return errorMessage(error);
}
