/**
 * A text field that reports its value once typing pauses, and follows outside changes (the back
 * button, a link that sets the filter): the one debounce of the UI's search and number fields.
 *
 * @module
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** How long typing must pause before a field's value is reported. */
export const TYPING_DELAY_MS = 400;

/**
 * `[text, change, settle]`: `text` is what the field shows; `change(text)` shows it and reports
 * it to `onSettle` once typing pauses for `delayMs`; `settle(text?)` reports it at once (Enter, a
 * clear button). `value` is the settled value; when it changes from outside, the field follows
 * and typing not yet reported is dropped.
 */
export function useTypedValue(
  value: string,
  onSettle: (value: string) => void,
  delayMs = TYPING_DELAY_MS,
): [string, (text: string) => void, (text?: string) => void] {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef({ text, onSettle });
  latest.current = { text, onSettle };
  // A value set from outside (a "Clear" button, the back button) wins over typing not yet
  // reported.
  useEffect(() => {
    clearTimeout(timer.current);
    setText(value);
  }, [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const change = useCallback((next: string) => {
    setText(next);
    latest.current.text = next;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current.onSettle(next), delayMs);
  }, [delayMs]);
  const settle = useCallback((next?: string) => {
    clearTimeout(timer.current);
    const settled = next ?? latest.current.text;
    setText(settled);
    latest.current.onSettle(settled);
  }, []);
  return [text, change, settle];
}
