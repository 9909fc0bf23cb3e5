/**
 * One instrument's chart on the Metrics page: its lines (utils/metric_chart.ts) and its exemplars
 * as points; a click on an exemplar opens its trace. Once drawn, the chart's div carries the
 * series names (`data-series-names`) and the exemplars' pixels (`data-exemplar-positions`) for tests.
 *
 * @module
 */
import { useMemo } from "preact/hooks";
import { ChartBox } from "../charts/ChartBox.tsx";
import { followLink, useECharts } from "../charts/charts.ts";
import {
  EXEMPLAR_SERIES,
  exemplarPoints,
  metricChartOption,
  metricLines,
} from "../../utils/metric_chart.ts";
import type { WireExemplar, WireInstrumentChart } from "../../utils/wire.ts";

export function InstrumentChart(
  { chart, exemplars, filtered = false }: {
    chart: WireInstrumentChart;
    exemplars: readonly WireExemplar[];
    /** Attribute filters narrow the chart: an empty one says no series matched them. */
    filtered?: boolean;
  },
) {
  const option = useMemo(() => metricChartOption(chart, exemplars), [chart, exemplars]);
  const names = useMemo(() => metricLines(chart).map((line) => line.name), [chart]);
  const points = useMemo(() => exemplarPoints(exemplars), [exemplars]);
  const { ref, status } = useECharts(option, {
    on: {
      click(
        params: {
          seriesId?: string;
          value?: [number, number, string];
          event?: { event?: MouseEvent };
        },
      ) {
        const traceId = params.seriesId === EXEMPLAR_SERIES ? params.value?.[2] : undefined;
        if (traceId) followLink(`/traces/${traceId}`, params.event?.event);
      },
    },
    onDrawn(instance) {
      instance.getDom().dataset.exemplarPositions = JSON.stringify(
        points.map(([time, value, traceId]) => ({
          traceId,
          pixel: instance.convertToPixel({ seriesId: EXEMPLAR_SERIES }, [time, value]),
        })),
      );
    },
  });
  const empty = chart.groups.every((g) => g.values.every((v) => v === null));
  return (
    <ChartBox
      chart="instrument"
      chartRef={ref}
      status={status}
      height={300}
      data={{
        "data-series-names": JSON.stringify(names),
        "data-exemplars": String(points.length),
        "data-agg": chart.agg,
        "data-series-count": String(chart.series),
      }}
      label={`${chart.instrument.name} (${chart.agg}) over time${
        points.length > 0 ? "; click an exemplar to open its trace" : ""
      }`}
      note={!empty
        ? undefined
        : filtered && chart.series === 0
        ? "No series of this instrument match these filters in this window"
        : "No points of this instrument in this window"}
    />
  );
}
