/**
 * ECharts for islands, loaded lazily: `useECharts(option)` gives a ref for the chart's `<div>`;
 * after the island mounts, ECharts is imported (its own chunk: components/charts/echarts.ts), the chart is
 * created in the div, given `option` (again whenever it changes), resized with its box (a
 * ResizeObserver: window resizes and layout changes alike) and disposed on unmount.
 * Nothing of ECharts runs on the server or at page load, so the initial JavaScript stays small.
 *
 * The div must have a height and no children of its own (ECharts owns its content). Once the
 * chart has drawn an option, the div gets `data-chart-state="drawn"` (browser tests wait for it).
 *
 * @module
 */
import type { EChartsType, init } from "echarts/core";
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

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
  const [created, setCreated] = useState(false);
  const drawn = useRef(false);
  const [status, setStatus] = useState<ChartStatus>("loading");

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    loadECharts().then((init) => {
      const element = ref.current;
      if (disposed || element === null) return;
      const chart = init(element, undefined, { renderer: "canvas" });
      chartRef.current = chart;
      for (const name of Object.keys(hooksRef.current.on ?? {})) {
        chart.on(name, (params: unknown) => hooksRef.current.on?.[name]?.(params));
      }
      chart.on("finished", () => {
        // `finished` also follows `init`, before there is any option to have drawn.
        if (drawn.current && !chart.isDisposed()) hooksRef.current.onDrawn?.(chart);
      });
      observer = new ResizeObserver(() => {
        if (!chart.isDisposed()) chart.resize();
      });
      observer.observe(element);
      setCreated(true);
    }).catch(() => {
      if (!disposed) setStatus("error");
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chartRef.current?.dispose();
      chartRef.current = null;
    };
    // One chart per mount; the hooks are read through a ref.
  }, []);

  useEffect(() => {
    const chart = chartRef.current;
    if (!created || chart === null || option === null) return;
    chart.setOption(option, { replaceMerge: ["series"] });
    drawn.current = true;
    setStatus("drawn");
  }, [created, option]);

  return { ref, status };
}
