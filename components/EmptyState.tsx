/**
 * What a page shows when its window holds nothing, saying which of two things that means:
 *
 * - **never**: Argus has received nothing (or it is not yet known whether it has): exactly how to
 *   send some;
 * - **quiet**: data is stored, just none in this window: when the newest is from, and one click to
 *   the smallest range that shows it (or, older than the largest range, the Traces page over the
 *   hour it was received in).
 *
 * @module
 */
import { Anchor, Button, Card, Code, Group, Stack, Text, Title } from "@mantine/core";
import { formatAgo, formatDateTime } from "../utils/format.ts";
import {
  rangeReaching,
  rangeWords,
  type WindowFilter,
  windowPhrase,
} from "../utils/time_window.ts";

export interface EmptyStateProps {
  /** What the page lists: "data", "services", "logs". */
  what?: string;
  /** The page's window, when it has one (a quiet window is said in it). */
  window?: WindowFilter;
  /**
   * The minute of the newest data Argus holds (RFC 3339, `/api/metadata/latest`); null when it
   * holds none; undefined when not known.
   */
  latest?: string | null;
  /** Shows another range: the page's own range filter. */
  onRange?(range: string): void;
  /** The time the page is at (Unix ms), for "2 h ago". */
  nowMs?: number;
}

export function EmptyState(
  { what = "data", window, latest, onRange, nowMs = Date.now() }: EmptyStateProps,
) {
  if (typeof latest === "string" && window !== undefined) {
    return (
      <QuietWindow what={what} window={window} latest={latest} onRange={onRange} nowMs={nowMs} />
    );
  }
  return (
    <Card withBorder padding="xl" data-empty-state={latest === null ? "never" : "unknown"}>
      <Stack gap="sm">
        <Title order={4}>
          {latest === null ? "Argus has not received any data yet" : `No ${what} yet`}
        </Title>
        <Text size="sm">
          Point any OpenTelemetry SDK at Argus, over OTLP/gRPC or OTLP/HTTP:
        </Text>
        <Code block>
          {`OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317   # gRPC
OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318   # HTTP (protobuf or JSON)`}
        </Code>
        <Text size="sm">Or watch three demo services call each other and fail now and then:</Text>
        <Code block>deno task simulate</Code>
      </Stack>
    </Card>
  );
}

function QuietWindow(
  { what, window, latest, onRange, nowMs }: {
    what: string;
    window: WindowFilter;
    latest: string;
    onRange?(range: string): void;
    nowMs: number;
  },
) {
  const latestMs = Date.parse(latest);
  const wider = rangeReaching(latestMs, nowMs);
  // Older than the largest range: the trace list takes a custom window around that minute.
  const around = `/traces?${new URLSearchParams({
    start: new Date(latestMs - 3_600_000).toISOString(),
    end: new Date(latestMs + 60_000).toISOString(),
  })}`;
  return (
    <Card withBorder padding="xl" data-empty-state="quiet" data-latest={latest}>
      <Stack gap="sm" align="flex-start">
        <Title order={4}>
          {`No ${what} ${windowPhrase(window)}`}
        </Title>
        <Text size="sm">
          {`Argus holds older data: the newest is from ${formatAgo(nowMs - latestMs)} (${
            formatDateTime(latest)
          }).`}
        </Text>
        <Group gap="sm">
          {wider !== undefined && onRange
            ? (
              <Button size="sm" variant="light" onClick={() => onRange(wider)} data-wider-range>
                {`Show the last ${rangeWords(wider)}`}
              </Button>
            )
            : <Anchor href={around} size="sm">Its traces, in the hour before it</Anchor>}
        </Group>
      </Stack>
    </Card>
  );
}
