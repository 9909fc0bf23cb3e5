/**
 * The trace view's header card: the root span's service and operation in its service colour, an
 * error badge, the trace id, links to the trace's logs and back to the list, and a row of figures
 * (start, duration, spans, errors, depth, services). Nothing in it changes once the page is
 * served, so the server renders it outside the TraceView island, from `traceSummary()`
 * (utils/waterfall.ts), and no JavaScript is shipped for it but that of `actions` (the
 * TraceInsight island when AI is on).
 *
 * @module
 */
import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ComponentChildren } from "preact";
import { Figure } from "../page/Figure.tsx";
import { formatCount, formatDateTime, formatDuration, formatZone } from "../../utils/format.ts";
import type { TraceSummary } from "../../utils/waterfall.ts";
import { logsHref } from "./SpanPanel.tsx";

export function TraceHeader(
  { summary, actions }: { summary: TraceSummary; actions?: ComponentChildren },
) {
  const { traceId, errors } = summary;
  return (
    <Card withBorder padding="md" data-trace-header={traceId}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Stack gap={4} style={{ minWidth: 0 }}>
            <Group gap={8} wrap="nowrap">
              <span
                className="argus-wf-swatch"
                style={{ background: summary.rootColor, width: 12, height: 12 }}
              />
              <Title order={3} style={{ overflowWrap: "anywhere" }} data-trace-title>
                <span style={{ fontWeight: 700 }}>{summary.rootService}</span>
                <span style={{ fontWeight: 400, color: "var(--argus-text-secondary)" }}>
                  {`  ${summary.rootName}`}
                </span>
              </Title>
              {errors > 0 && (
                <Badge color="red" variant="light" style={{ flex: "none" }}>
                  {`${errors} error span${errors === 1 ? "" : "s"}`}
                </Badge>
              )}
            </Group>
            <Text size="xs" c="dimmed" className="argus-mono" data-trace-id>
              {`trace ${traceId}`}
              {summary.rootMissing &&
                " · root span not received: the earliest span is shown first"}
            </Text>
          </Stack>
          <Group gap="xs" wrap="nowrap">
            {actions}
            <Button
              component="a"
              href={logsHref(traceId, summary.times)}
              variant="light"
              size="sm"
              data-trace-logs-link
            >
              Logs of this trace
            </Button>
            <Button component="a" href="/traces" variant="default" size="sm">
              All traces
            </Button>
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 3, sm: 6 }} spacing="md">
          <Figure
            label={`Start (${formatZone(Date.parse(summary.times.iso))})`}
            value={formatDateTime(summary.times.iso)}
          />
          <Figure label="Duration" value={formatDuration(summary.durationNs / 1e6)} />
          <Figure label="Spans" value={formatCount(summary.spans)} />
          <Figure
            label="Errors"
            value={String(errors)}
            color={errors > 0 ? "red" : undefined}
          />
          <Figure label="Depth" value={String(summary.depth)} />
          <Figure label="Services" value={String(summary.services)} />
        </SimpleGrid>
      </Stack>
    </Card>
  );
}
