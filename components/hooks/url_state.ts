/**
 * A view's state in the URL, so that it can be shared and the back button works. One mechanism
 * for every island: `useUrlSignal(initial, codec)` holds the state in a signal, writes each change
 * to the query string with `history.pushState` (or `replaceState`), adds no history entry when
 * the query string would stay the same, and follows `popstate`. A codec says how a state reads
 * from and writes to a query string: `urlStateCodec(defaults)` for flat filters (one value per
 * key), utils/trace_query.ts's for the trace list (whose `attr` repeats).
 *
 * `useUrlState(defaults, initial)` is the flat form as a `[state, update(patch)]` pair: only keys
 * named in `defaults` are managed, other keys of the URL are kept, and values equal to their
 * default are left out of the URL.
 *
 * @module
 */
import { type ReadonlySignal, useSignal } from "@preact/signals";
import { useCallback, useEffect, useMemo, useRef } from "preact/hooks";

/** How a state reads from and writes to a query string. */
export interface UrlCodec<S> {
  /** The state a query string (`location.search`) holds. */
  parse(search: string): S;
  /** The query string (`?…`, or `""`) for a state; `search` is the current one. */
  serialize(state: S, search: string): string;
}

/**
 * The query string to write for `next`, or undefined when it says what `search` says already (so
 * a change that changes nothing adds no history entry).
 */
export function urlChange<S>(codec: UrlCodec<S>, search: string, next: S): string | undefined {
  const written = codec.serialize(next, search);
  return written === codec.serialize(codec.parse(search), search) ? undefined : written;
}

/** A new state, or how to make it from the current one; `replace` writes no history entry. */
export type UrlUpdate<S> = (next: S | ((current: S) => S), replace?: boolean) => void;

/**
 * `[state, update]`: the state as a signal (components that read `state.value` re-render when it
 * changes) and its one way to change. `initial` is what the server rendered from the same URL,
 * so hydration matches. `codec` is constant per island: the first one is used.
 */
export function useUrlSignal<S>(
  initial: S,
  codec: UrlCodec<S>,
): [ReadonlySignal<S>, UrlUpdate<S>] {
  const state = useSignal(initial);
  const codecRef = useRef(codec);
  useEffect(() => {
    const onPop = () => {
      state.value = codecRef.current.parse(location.search);
    };
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const update = useCallback<UrlUpdate<S>>((next, replace = false) => {
    const value = typeof next === "function" ? (next as (current: S) => S)(state.peek()) : next;
    const search = urlChange(codecRef.current, location.search, value);
    if (search !== undefined) {
      const url = `${location.pathname}${search}`;
      if (replace) history.replaceState(null, "", url);
      else history.pushState(null, "", url);
    }
    state.value = value;
  }, []);
  return [state, update];
}

export type UrlState<K extends string> = Record<K, string>;

/** The state of `defaults`' keys in a query string. */
export function readState<K extends string>(search: string, defaults: UrlState<K>): UrlState<K> {
  const params = new URLSearchParams(search);
  const state = { ...defaults };
  for (const key of Object.keys(defaults) as K[]) {
    const value = params.get(key);
    if (value !== null) state[key] = value;
  }
  return state;
}

/** The query string for a state: other keys kept, defaults left out. */
export function writeState<K extends string>(
  search: string,
  state: UrlState<K>,
  defaults: UrlState<K>,
): string {
  const params = new URLSearchParams(search);
  for (const key of Object.keys(defaults) as K[]) {
    if (state[key] === defaults[key] || state[key] === "") params.delete(key);
    else params.set(key, state[key]);
  }
  const query = params.toString();
  return query === "" ? "" : `?${query}`;
}

/** The codec of flat filters: `readState` and `writeState` over `defaults`' keys. */
export function urlStateCodec<K extends string>(defaults: UrlState<K>): UrlCodec<UrlState<K>> {
  return {
    parse: (search) => readState(search, defaults),
    serialize: (state, search) => writeState(search, state, defaults),
  };
}

/**
 * `[state, update]` over flat filters; `initial` is what the server rendered from the same URL
 * (so hydration matches), `update(patch)` pushes a history entry (`replace`: none). The state is
 * `useUrlSignal`'s, read here, so the calling component re-renders when it changes.
 */
export function useUrlState<K extends string>(
  defaults: UrlState<K>,
  initial?: Partial<UrlState<K>>,
): [UrlState<K>, (patch: Partial<UrlState<K>>, replace?: boolean) => void] {
  // `defaults` is constant per island: the codec is made once.
  const codec = useMemo(() => urlStateCodec(defaults), []);
  const [state, set] = useUrlSignal<UrlState<K>>({ ...defaults, ...initial }, codec);
  const update = useCallback(
    (patch: Partial<UrlState<K>>, replace = false) =>
      set((current) => ({ ...current, ...patch }), replace),
    [set],
  );
  return [state.value, update];
}
