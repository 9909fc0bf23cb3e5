/**
 * ECharts for islands, loaded lazily: `useECharts(option)` gives a ref for the chart's `<div>`;
 * after the island mounts, ECharts is imported (its own chunk: components/charts/echarts.ts), the chart is
 * created in the div in the page's colour scheme (again when the scheme changes), given `option`
 * (again whenever it changes), resized with its box (a
 * ResizeObserver: window resizes and layout changes alike) and disposed on unmount.
 * Nothing of ECharts runs on the server or at page load, so the initial JavaScript stays small.
 * Hooks (`ChartHooks`) add ECharts events, a callback after each draw, and links: where a click on
 * the chart leads (`linkAt`).
 *
 * The div must have a height and no children of its own (ECharts owns its content). Once the
 * chart has drawn an option, the div gets `data-chart-state="drawn"` (browser tests wait for it).
 *
 * @module
 */
import type { EChartsType, init } from "echarts/core";
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useColorScheme } from "../hooks/use_color_scheme.ts";
import type { ColorScheme } from "../../utils/color_scheme.ts";
import { chartOptionFor } from "../../utils/chart_style.ts";

/**
 * ECharts's theme per colour scheme: its built-in dark theme (axes, legends, tooltips) under
 * the options' own colours, which chartOptionFor() draws for the scheme. When the page's scheme
 * changes, the chart is created again in the other theme (ECharts's `setTheme` brings back the
 * colours of the first option it was given).
 */
const ECHARTS_THEMES: Record<ColorScheme, string> = { light: "default", dark: "dark" };

let loading: Promise<typeof init> | undefined;

/** ECharts's `init`, with the chart types islands use registered (components/charts/echarts.ts). */
export function loadECharts(): Promise<typeof init> {
  loading ??= import("./echarts.ts").then((module) => module.init);
  // A failed load (e.g. the network) may be retried by the next chart.
  loading.catch(() => loading = undefined);
  return loading;
}

export type ChartStatus = "loading" | "drawn" | "error";

export interface ChartHooks {
  /** ECharts events on the chart, e.g. `{ click(params) {…} }`; the latest ones are used. */
  // deno-lint-ignore no-explicit-any -- ECharts's event params differ per event and series
  on?: Record<string, (params: any) => void>;
  /** After each render of an option (ECharts's `finished`), e.g. to read the layout. */
  onDrawn?(chart: EChartsType): void;
  /**
   * The page a click at `pixel` (within the chart's div) opens, or undefined: anywhere on the
   * chart, not only on a mark (a step of a time axis, a heatmap cell). Where there is one the
   * cursor is a pointer, and a click follows it (`followLink`). The latest one is used.
   */
  linkAt?(chart: EChartsType, pixel: [number, number]): string | undefined;
}

/**
 * Opens a chart's link as a link would: in this tab with `location.assign`, so that Back returns
 * to the chart; in a new one with Ctrl or ⌘.
 */
export function followLink(url: string, event?: MouseEvent): void {
  if (event && (event.ctrlKey || event.metaKey)) open(url, "_blank", "noopener");
  else location.assign(url);
}

/**
 * `{ ref, status }`: put `ref` on the chart's div. `option` null draws nothing (yet). Options are
 * merged into the chart with their series replaced (series need stable `id`s to animate).
 */
export function useECharts(
  option: Record<string, unknown> | null,
  hooks: ChartHooks = {},
): { ref: RefObject<HTMLDivElement>; status: ChartStatus } {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<EChartsType | null>(null);
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  /** How many charts this hook has created: a new one is given the option again. */
  const [created, setCreated] = useState(0);
  const drawn = useRef(false);
  const [status, setStatus] = useState<ChartStatus>("loading");
  const scheme = useColorScheme();

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    loadECharts().then((init) => {
      const element = ref.current;
      if (disposed || element === null) return;
      const chart = init(element, ECHARTS_THEMES[scheme], { renderer: "canvas" });
      chartRef.current = chart;
      drawn.current = false;
      for (const name of Object.keys(hooksRef.current.on ?? {})) {
        chart.on(name, (params: unknown) => hooksRef.current.on?.[name]?.(params));
      }
      if (hooksRef.current.linkAt) {
        // zrender's events: the whole canvas, marks or not. Its own mousemove has already set
        // the cursor of what is under the pointer when this one runs.
        const zr = chart.getZr();
        // Only once it has drawn an option: before, ECharts has no model to find marks in.
        const linkAt = (event: { offsetX: number; offsetY: number }) =>
          drawn.current && !chart.isDisposed()
            ? hooksRef.current.linkAt?.(chart, [event.offsetX, event.offsetY])
            : undefined;
        zr.on("mousemove", (event) => {
          if (linkAt(event) !== undefined) zr.setCursorStyle("pointer");
        });
        zr.on("click", (event) => {
          const url = linkAt(event);
          if (url !== undefined) followLink(url, event.event as MouseEvent);
        });
      }
      chart.on("finished", () => {
        // `finished` also follows `init`, before there is any option to have drawn.
        if (drawn.current && !chart.isDisposed()) hooksRef.current.onDrawn?.(chart);
      });
      observer = new ResizeObserver(() => {
        if (!chart.isDisposed()) chart.resize();
      });
      observer.observe(element);
      setCreated((count) => count + 1);
    }).catch(() => {
      if (!disposed) setStatus("error");
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chartRef.current?.dispose();
      chartRef.current = null;
    };
    // One chart per mount and colour scheme; the hooks are read through a ref.
  }, [scheme]);

  useEffect(() => {
    const chart = chartRef.current;
    if (created === 0 || chart === null || option === null) return;
    // Before setOption: without animation, ECharts renders and fires `finished` within it.
    drawn.current = true;
    chart.setOption(chartOptionFor(option, scheme), { replaceMerge: ["series"] });
    setStatus("drawn");
  }, [created, option, scheme]);

  return { ref, status };
}
