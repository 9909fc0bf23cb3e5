/**
 * Filters and time range in the URL, so that a view can be shared and the back button works:
 * `useUrlState(defaults)` reads the page's query string (falling back to `defaults`), writes
 * changes with `history.pushState`, and follows `popstate`. Only keys named in `defaults` are
 * managed; values equal to their default are left out of the URL.
 *
 * @module
 */
import { useCallback, useEffect, useState } from "preact/hooks";

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

/**
 * `[state, update]`; `initial` is what the server rendered from the same URL (so hydration
 * matches), `update(patch)` pushes a history entry.
 */
export function useUrlState<K extends string>(
  defaults: UrlState<K>,
  initial?: Partial<UrlState<K>>,
): [UrlState<K>, (patch: Partial<UrlState<K>>, replace?: boolean) => void] {
  const [state, setState] = useState<UrlState<K>>({ ...defaults, ...initial });
  useEffect(() => {
    const onPop = () => setState(readState(location.search, defaults));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
    // `defaults` is constant per island: the effect runs once.
  }, []);
  const update = useCallback((patch: Partial<UrlState<K>>, replace = false) => {
    setState((current) => {
      const next = { ...current, ...patch };
      const url = `${location.pathname}${writeState(location.search, next, defaults)}`;
      if (replace) history.replaceState(null, "", url);
      else history.pushState(null, "", url);
      return next;
    });
    // `defaults` is constant per island: the effect runs once.
  }, []);
  return [state, update];
}
