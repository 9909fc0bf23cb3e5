/**
 * Data that reloads itself: `useAutoRefresh` loads again when the filters change (at once) and
 * every `intervalMs` while not paused and the tab is visible; a newer load aborts an older one,
 * so a slow answer never overwrites a newer one. The server-rendered data is the first state, so
 * hydration matches and nothing loads at start-up.
 *
 * @module
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorSentence } from "../../utils/api.ts";

export interface AutoRefreshOptions<T> {
  /** Loads the data for the current filters; gets an abort signal. */
  load(signal: AbortSignal): Promise<T>;
  /** The filters as one string: when it changes, the data loads again at once. */
  key: string;
  intervalMs: number;
  /** What the server rendered for `key` (null when it could not load it). */
  initial: T | null;
  /** The server's error sentence when it could not. */
  initialError?: string | null;
  /** When `initial` was loaded (Unix milliseconds). */
  initialAt: number;
  /** When true, a reload keeps the current data if the new data is deep-equal (charts stay put). */
  keepEqual?: boolean;
}

export interface AutoRefresh<T> {
  data: T | null;
  /** The API's error sentence of the last load, if it failed. */
  error: string | null;
  loading: boolean;
  /** When data last loaded (Unix milliseconds). */
  updatedAt: number;
  paused: boolean;
  setPaused(paused: boolean): void;
  /** Loads now. */
  refresh(): void;
}

export function useAutoRefresh<T>(options: AutoRefreshOptions<T>): AutoRefresh<T> {
  const [data, setData] = useState<T | null>(options.initial);
  const [error, setError] = useState<string | null>(options.initialError ?? null);
  const [loading, setLoading] = useState(false);
  const [updatedAt, setUpdatedAt] = useState(options.initialAt);
  const [paused, setPaused] = useState(false);
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const current = useRef<AbortController | null>(null);
  const loadedKey = useRef(options.key);
  const dataRef = useRef(data);
  dataRef.current = data;

  const refresh = useCallback(async () => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setLoading(true);
    try {
      const next = await optionsRef.current.load(controller.signal);
      if (controller.signal.aborted) return;
      const same = optionsRef.current.keepEqual &&
        JSON.stringify(next) === JSON.stringify(dataRef.current);
      if (!same) setData(next);
      setError(null);
      setUpdatedAt(Date.now());
    } catch (e) {
      if (controller.signal.aborted) return;
      setError(errorSentence(e));
    } finally {
      if (current.current === controller) {
        current.current = null;
        setLoading(false);
      }
    }
  }, []);

  // New filters (a choice, or the back button): load at once.
  useEffect(() => {
    if (options.key === loadedKey.current) return;
    loadedKey.current = options.key;
    refresh();
  }, [options.key, refresh]);

  // The timer; resuming loads at once, as the data may be old by then.
  const first = useRef(true);
  useEffect(() => {
    if (paused) return;
    if (!first.current) refresh();
    first.current = false;
    const timer = setInterval(() => {
      if (!document.hidden) refresh();
    }, options.intervalMs);
    return () => clearInterval(timer);
  }, [paused, options.intervalMs, refresh]);

  useEffect(() => () => current.current?.abort(), []);

  return { data, error, loading, updatedAt, paused, setPaused, refresh };
}

/** The current time, ticking every `everyMs` after mount (before: `fallback`, for hydration). */
export function useNow(everyMs: number, fallback: number): number {
  const [now, setNow] = useState(fallback);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
