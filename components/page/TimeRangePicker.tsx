/**
 * The time-range picker of every page with a time window (components/page/FilterBar.tsx): a button
 * that says the window and its zone, and a popover with the presets (5 minutes to 7 days, up to
 * the retention), a "last N" length, an absolute range in the page's zone, and the choice of zone
 * (components/page/TimeRangePanel.tsx, loaded on first opening). The model is
 * utils/time_window.ts, the zone utils/time_zone.ts.
 *
 * @module
 */
import { Button, Loader, Popover, Text } from "@mantine/core";
import { useState } from "preact/hooks";
import { lazy, Suspense } from "preact/compat";
import { isAbsolute, type WindowFilter, windowWords } from "../../utils/time_window.ts";
import { formatZone } from "../../utils/format.ts";

// The panel loads when the picker first opens: it is not in any page's initial JavaScript.
const TimeRangePanel = lazy(() => import("./TimeRangePanel.tsx"));

export interface TimeRangePickerProps {
  window: WindowFilter;
  /** A new window: a range (with `start` and `end` empty) or an absolute one (the default range). */
  onChange(window: WindowFilter): void;
}

function ClockIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="6.3" fill="none" stroke="currentColor" stroke-width="1.5" />
      <path d="M8 4.5V8l2.4 1.6" fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

/** The window as the button says it: `Last 15 minutes`, or the absolute range. */
function windowLabel(window: WindowFilter): string {
  const words = windowWords(window);
  return isAbsolute(window) ? words : words[0]!.toUpperCase() + words.slice(1);
}

export function TimeRangePicker({ window, onChange }: TimeRangePickerProps) {
  const [opened, setOpened] = useState(false);
  const choose = (next: WindowFilter) => {
    setOpened(false);
    onChange(next);
  };
  return (
    <Popover
      opened={opened}
      onChange={setOpened}
      position="bottom-end"
      shadow="md"
      trapFocus
      withinPortal
    >
      <Popover.Target>
        <Button
          variant="default"
          leftSection={<ClockIcon />}
          onClick={() => setOpened((o) => !o)}
          aria-haspopup="dialog"
          aria-expanded={opened}
          // Its visible text, zone included, is part of its name (WCAG 2.5.3).
          aria-label={`Time range: ${windowLabel(window)}${
            isAbsolute(window) ? "" : ` ${formatZone()}`
          }`}
          data-time-range={isAbsolute(window) ? "absolute" : window.range}
        >
          {windowLabel(window)}
          {!isAbsolute(window) && " "}
          {!isAbsolute(window) && (
            <Text component="span" size="xs" c="dimmed" ml={6} data-time-zone-label>
              {formatZone()}
            </Text>
          )}
        </Button>
      </Popover.Target>
      <Popover.Dropdown data-time-range-picker>
        {opened && (
          <Suspense fallback={<Loader size="sm" aria-label="Loading" />}>
            <TimeRangePanel window={window} onChoose={choose} />
          </Suspense>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}
