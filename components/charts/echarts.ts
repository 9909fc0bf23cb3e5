/**
 * ECharts as the islands use it, loaded lazily by components/charts/charts.ts: the core, the chart types
 * (line, bar, heatmap, graph, scatter), their components and the canvas renderer. One module, as
 * esbuild puts what ECharts's `charts` and `components` entry points share in one chunk anyway (split
 * per chart type, each page would still load the same ~210 KB gzip chunk).
 *
 * @module
 */
import { init, use } from "echarts/core";
import { BarChart, GraphChart, HeatmapChart, LineChart, ScatterChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

use([
  LineChart,
  BarChart,
  HeatmapChart,
  GraphChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export { init };
