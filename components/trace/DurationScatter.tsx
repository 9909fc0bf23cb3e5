/**
 * The trace list's duration scatter above its table (utils/duration_scatter.ts): a point per
 * listed trace, outliers and failures at a glance; a click on a point opens its trace. ECharts is
 * loaded lazily (components/charts/charts.ts), so the page's initial JavaScript barely grows.
 *
 * The chart's div carries `data-points`, `data-failed-points` and, once drawn,
 * `data-point-positions` (`{traceId: [x, y]}` in pixels within the div) for browser tests.
 *
 * @module
 */
import { Card, Group, Text } from "@mantine/core";
import type { EChartsType } from "echarts/core";
import { useMemo } from "preact/hooks";
import { ChartBox } from "../charts/ChartBox.tsx";
import { followLink, useECharts } from "../charts/charts.ts";
import { durationScatterOption, FAILED_COLOR, scatterPoint } from "../../utils/duration_scatter.ts";
import type { WireTraceSummary } from "../../utils/wire.ts";

function pointPositions(chart: EChartsType, items: readonly WireTraceSummary[]) {
  const positions: Record<string, [number, number]> = {};
  for (const item of items) {
    const point = scatterPoint(item);
    const [x, y] = chart.convertToPixel({ seriesIndex: point.failed ? 1 : 0 }, [
      point.startMs,
      point.durationMs,
    ]) as number[];
    positions[item.trace_id] = [Math.round(x!), Math.round(y!)];
  }
  return positions;
}

/** A legend mark as the chart draws it: drawn, not text (its colour is not a text's). */
function Mark({ shape, color }: { shape: "diamond" | "circle"; color: string }) {
  return (
    <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true">
      {shape === "diamond"
        ? <path d="M5 0 L10 5 L5 10 L0 5 Z" fill={color} />
        : <circle cx="5" cy="5" r="4" fill={color} />}
    </svg>
  );
}

export function DurationScatter(
  { items, stale }: { items: readonly WireTraceSummary[]; stale: boolean },
) {
  const option = useMemo(() => durationScatterOption(items), [items]);
  const failed = items.filter((item) => item.error_count > 0).length;
  const { ref, status } = useECharts(option, {
    on: {
      click(params: { name?: string; event?: { event?: MouseEvent } }) {
        if (params.name) followLink(`/traces/${params.name}`, params.event?.event);
      },
    },
    onDrawn(chart) {
      chart.getDom().dataset.pointPositions = JSON.stringify(pointPositions(chart, items));
    },
  });
  return (
    <Card
      withBorder
      padding="xs"
      data-duration-scatter
      style={{ opacity: stale ? 0.6 : 1, transition: "opacity 150ms" }}
    >
      <Group justify="space-between" px="xs" wrap="nowrap">
        <Text size="xs" c="dimmed">Duration by start time · click a point to open its trace</Text>
        <Group gap={6} wrap="nowrap">
          <Mark shape="diamond" color={FAILED_COLOR} />
          <Text size="xs" c="dimmed">failed</Text>
          <Mark shape="circle" color="#868e96" />
          <Text size="xs" c="dimmed">the root service's colour</Text>
        </Group>
      </Group>
      <ChartBox
        chart="duration-scatter"
        chartRef={ref}
        status={status}
        height={170}
        data={{ "data-points": String(items.length), "data-failed-points": String(failed) }}
        label={`Duration of each listed trace by its start time: ${items.length} traces, ${failed} failed; click a point to open its trace`}
      />
    </Card>
  );
}
