/**
 * The time-range picker's panel (components/page/TimeRangePicker.tsx), loaded when the picker is
 * first opened: the presets up to the retention, a "last N" length, an absolute range in the
 * page's zone, and the choice of zone (local or UTC, remembered in a cookie: utils/time_zone.ts).
 *
 * @module
 */
import { Button, Group, SegmentedControl, Stack, Text, TextInput } from "@mantine/core";
import { useState } from "preact/hooks";
import {
  DEFAULT_RANGE,
  instantMs,
  isAbsolute,
  presetsUpTo,
  RANGE_FORMS,
  rangeMs,
  rangeOf,
  rangeWords,
  type WindowFilter,
} from "../../utils/time_window.ts";
import {
  displayZone,
  instantOf,
  wallClockText,
  ZONE_CHOICE_COOKIE,
  type ZoneChoice,
} from "../../utils/time_zone.ts";
import { formatDuration, formatZone } from "../../utils/format.ts";
import { preferenceCookie } from "../../utils/cookies.ts";

/** What the page's `<html>` says of the picker's limits and the zone (components/Layout.tsx). */
interface PageLimits {
  retentionMs: number | null;
  maxWindowMs: number;
  choice: ZoneChoice;
}

function pageLimits(): PageLimits {
  const data = document.documentElement.dataset;
  const retention = Number(data.retentionMs);
  const max = Number(data.maxWindowMs);
  return {
    retentionMs: retention > 0 ? retention : null,
    maxWindowMs: max > 0 ? max : 31 * 86_400_000,
    choice: data.timeZoneChoice === "utc" ? "utc" : "local",
  };
}

export default function TimeRangePanel(
  { window, onChoose }: { window: WindowFilter; onChoose(window: WindowFilter): void },
) {
  const limits = pageLimits();
  const limitMs = Math.min(limits.retentionMs ?? Infinity, limits.maxWindowMs);
  return (
    <Group align="flex-start" gap="lg" wrap="nowrap">
      <Stack gap={2} miw={170} role="group" aria-label="Quick ranges">
        <Text size="xs" fw={600} c="dimmed" mb={4}>Quick ranges</Text>
        {presetsUpTo(limitMs).map((range) => (
          <Button
            key={range}
            size="compact-sm"
            variant={!isAbsolute(window) && window.range === range ? "light" : "subtle"}
            justify="flex-start"
            onClick={() => onChoose({ range, start: "", end: "" })}
            data-range-preset={range}
          >
            {`Last ${rangeWords(range)}`}
            {rangeMs(range) === limits.retentionMs && (
              <Text component="span" size="xs" c="dimmed" ml={6}>all kept</Text>
            )}
          </Button>
        ))}
      </Stack>
      <Stack gap="md" w={280}>
        <RelativeForm limitMs={limits.maxWindowMs} onChoose={onChoose} />
        <AbsoluteForm window={window} limitMs={limits.maxWindowMs} onChoose={onChoose} />
        <ZoneChoiceControl choice={limits.choice} />
      </Stack>
    </Group>
  );
}

/** "Last N": any length in minutes, hours or days. */
function RelativeForm(
  { limitMs, onChoose }: { limitMs: number; onChoose(window: WindowFilter): void },
) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const range = text.trim();
    const ms = rangeMs(range);
    if (ms === undefined) return setError(`Give ${RANGE_FORMS}`);
    if (ms > limitMs) return setError(`At most ${rangeOf(limitMs)} (QUERY_MAX_WINDOW)`);
    onChoose({ range, start: "", end: "" });
  };
  return (
    <form onSubmit={submit} data-range-form>
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <TextInput
          label="Last"
          placeholder="90m, 12h, 3d"
          value={text}
          onInput={(e: Event) => setText((e.currentTarget as HTMLInputElement).value)}
          error={error}
          size="xs"
          flex={1}
          name="range"
          autoComplete="off"
        />
        <Button type="submit" size="xs" variant="default">Apply</Button>
      </Group>
    </form>
  );
}

/** The current window's bounds as `datetime-local` values in the page's zone. */
function boundsOf(window: WindowFilter): { from: string; to: string } {
  const now = Date.now();
  const end = isAbsolute(window) ? instantMs(window.end) ?? now : now;
  const start = isAbsolute(window)
    ? instantMs(window.start) ?? end - 3_600_000
    : end - (rangeMs(window.range) ?? 300_000);
  return { from: wallClockText(start), to: wallClockText(end) };
}

/** An absolute range, typed or picked in the page's zone. */
function AbsoluteForm(
  { window, limitMs, onChoose }: {
    window: WindowFilter;
    limitMs: number;
    onChoose(window: WindowFilter): void;
  },
) {
  const [bounds, setBounds] = useState(() => boundsOf(window));
  const [error, setError] = useState<string | null>(null);
  const zone = formatZone();
  const submit = (event: Event) => {
    event.preventDefault();
    const start = instantOf(bounds.from, displayZone());
    const end = instantOf(bounds.to, displayZone());
    if (start === undefined || end === undefined) {
      return setError("Give both times as YYYY-MM-DD HH:MM[:SS]");
    }
    if (end <= start) return setError("'To' must be after 'From'");
    if (end - start > limitMs) {
      return setError(`At most ${formatDuration(limitMs)} (QUERY_MAX_WINDOW)`);
    }
    onChoose({
      range: DEFAULT_RANGE,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    });
  };
  const input = (key: "from" | "to", label: string) => (
    <TextInput
      type="datetime-local"
      step={1}
      label={`${label} (${zone})`}
      value={bounds[key]}
      onInput={(e: Event) => {
        const value = (e.currentTarget as HTMLInputElement).value;
        setBounds((b) => ({ ...b, [key]: value }));
      }}
      size="xs"
      name={key}
      data-absolute={key}
    />
  );
  return (
    <form onSubmit={submit} data-absolute-form>
      <Stack gap={6}>
        <Text size="xs" fw={600} c="dimmed">Absolute range</Text>
        {input("from", "From")}
        {input("to", "To")}
        {error && <Text size="xs" c="red" role="alert" data-absolute-error>{error}</Text>}
        <Button type="submit" size="xs" variant="default">Show this range</Button>
      </Stack>
    </form>
  );
}

/** Local time or UTC, for every page: remembered in a cookie; the page reloads in the new zone. */
function ZoneChoiceControl({ choice }: { choice: ZoneChoice }) {
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <Stack gap={4}>
      <Text size="xs" fw={600} c="dimmed" id="argus-zone-choice">Time zone</Text>
      <SegmentedControl
        size="xs"
        aria-labelledby="argus-zone-choice"
        data-zone-choice
        value={choice}
        data={[
          { value: "local", label: `Local (${browserZone})` },
          { value: "utc", label: "UTC" },
        ]}
        onChange={(value: string) => {
          document.cookie = preferenceCookie(ZONE_CHOICE_COOKIE, value === "utc" ? "utc" : "local");
          location.reload();
        }}
      />
    </Stack>
  );
}
