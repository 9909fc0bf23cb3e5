/**
 * A chart's box: the `<div>` ECharts draws in (from `useECharts`), with a spinner until it has
 * drawn, a sentence if ECharts could not load, and an optional note over it ("No requests in
 * this window"). The one overlay of the Dashboard's charts and the service map.
 *
 * @module
 */
import { Center, Loader, Text } from "@mantine/core";
import type { ChartStatus, useECharts } from "./charts.ts";

export interface ChartBoxProps {
  /** `data-chart`: which chart, for tests and styles. */
  chart: string;
  chartRef: ReturnType<typeof useECharts>["ref"];
  status: ChartStatus;
  /** Its accessible name: what the chart shows, in words. */
  label: string;
  /** The box's height in pixels. */
  height: number;
  /** Narrow screens scroll the chart sideways below this width. */
  minWidth?: number;
  /** A note over the chart, once it is not loading. */
  note?: string;
  /** What failed to load, for the error sentence: "chart" or "graph". */
  noun?: string;
  /** More `data-*` attributes on the chart's div, e.g. counts tests read. */
  data?: Record<`data-${string}`, string>;
}

export function ChartBox(
  { chart, chartRef, status, label, height, minWidth, note, noun = "chart", data }: ChartBoxProps,
) {
  return (
    <div style={{ position: "relative", height, minWidth }}>
      <div
        ref={chartRef}
        data-chart={chart}
        data-chart-state={status}
        {...data}
        role="img"
        aria-label={label}
        style={{ position: "absolute", inset: 0 }}
      />
      {status === "loading" && (
        <Center pos="absolute" inset={0}>
          <Loader size="sm" type="dots" />
        </Center>
      )}
      {status === "error" && (
        <Center pos="absolute" inset={0}>
          <Text size="sm" c="red">{`The ${noun} could not load: reload the page`}</Text>
        </Center>
      )}
      {note && status !== "loading" && (
        <Center pos="absolute" inset={0} style={{ pointerEvents: "none" }}>
          <Text size="sm" c="dimmed" bg="var(--argus-surface)" px="sm">{note}</Text>
        </Center>
      )}
    </div>
  );
}
