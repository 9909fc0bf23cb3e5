/**
 * The trace list's and waterfall's own CSS (hover and focus states, the timeline's layers), which
 * inline styles cannot express. Each island renders it in a `<style>` element, so it arrives with
 * the server-rendered HTML; every class starts with `argus-tr-` (list) or `argus-wf-`
 * (waterfall); colours are static/app.css's --argus-* variables, so both colour schemes hold. The
 * waterfall's dimensions that the CSS and the components share are here too.
 *
 * @module
 */

/** The waterfall's dimensions, in pixels unless said otherwise. */
export const WATERFALL_LAYOUT = {
  /** Row height: rows are fixed-height, so the virtualizer measures nothing. */
  row: 30,
  /** The sticky header's height (the ruler's): `.argus-wf-head`. */
  head: 34,
  /** What the server lays out (and the browser's first render, so hydration matches). */
  initialViewport: 640,
  /** The waterfall's smallest height: rows above it are in view without scrolling. */
  minHeight: 360,
  /** Indentation per level. */
  indent: 12,
  /** Indentation stops growing here (levels): a chain of 80,000 spans stays readable. */
  maxIndentDepth: 24,
} as const;

export const TRACE_LIST_CSS = `
.argus-tr-table tbody tr { cursor: pointer; }
.argus-tr-table tbody tr:focus-within { background: var(--argus-selected); }
.argus-tr-link { color: inherit; text-decoration: none; }
.argus-tr-link:hover .argus-tr-op, .argus-tr-link:focus-visible .argus-tr-op { text-decoration: underline; }
.argus-tr-link:focus-visible { outline: 2px solid var(--argus-focus); outline-offset: 2px; border-radius: 4px; }
.argus-tr-sort { all: unset; cursor: pointer; display: inline-flex; align-items: center; gap: 4px; font-weight: 600; }
.argus-tr-sort:focus-visible { outline: 2px solid var(--argus-focus); outline-offset: 2px; border-radius: 4px; }
.argus-tr-sort[data-active] { color: var(--argus-accent); }
.argus-tr-durbar { height: 4px; border-radius: 2px; background: var(--argus-track); margin-top: 4px; width: 120px; overflow: hidden; }
.argus-tr-durbar > div { height: 100%; border-radius: 2px; background: var(--argus-bar); }
.argus-tr-durbar[data-error] > div { background: var(--argus-bar-error); }
.argus-tr-loading { opacity: 0.55; transition: opacity 120ms; }
.argus-tr-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; flex: none; }
`;

export const WATERFALL_CSS = `
.argus-wf { --wf-name: 40%; position: relative; background: var(--argus-surface); border: 1px solid var(--argus-border); border-radius: 8px; overflow: hidden; }
.argus-wf-scroll { position: relative; overflow: auto; outline: none; }
.argus-wf-head { position: sticky; top: 0; z-index: 3; display: grid; grid-template-columns: var(--wf-name) 1fr; height: ${WATERFALL_LAYOUT.head}px; background: var(--argus-subtle); border-bottom: 1px solid var(--argus-border); font-size: 12px; color: var(--argus-text-secondary); }
.argus-wf-head > div:first-child { padding: 0 12px; display: flex; align-items: center; justify-content: space-between; font-weight: 600; border-right: 1px solid var(--argus-border); }
.argus-wf-ruler { position: relative; cursor: crosshair; user-select: none; }
.argus-wf-tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--argus-border-strong); padding: 0 4px; display: flex; align-items: center; font-variant-numeric: tabular-nums; white-space: nowrap; }
.argus-wf-tick[data-last] { transform: translateX(-100%); border-left: none; border-right: 1px solid var(--argus-border-strong); }
.argus-wf-brush { position: absolute; top: 0; bottom: 0; background: var(--argus-brush); border-left: 1px solid var(--argus-focus); border-right: 1px solid var(--argus-focus); pointer-events: none; }
.argus-wf-grid { position: absolute; top: 0; bottom: 0; left: var(--wf-name); right: 0; pointer-events: none; z-index: 0; }
.argus-wf-grid > div { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--argus-gridline); }
.argus-wf-body { position: relative; }
.argus-wf-row { position: absolute; left: 0; right: 0; display: grid; grid-template-columns: var(--wf-name) 1fr; align-items: stretch; font-size: 13px; cursor: pointer; outline: none; z-index: 1; }
.argus-wf-row:hover { background: var(--argus-subtle); }
.argus-wf-row:focus-visible { box-shadow: inset 0 0 0 2px var(--argus-focus); }
.argus-wf-row[aria-selected="true"] { background: var(--argus-selected); }
.argus-wf-row[data-match] { background: rgba(250, 176, 5, 0.16); }
.argus-wf-row[data-match="current"] { background: rgba(250, 176, 5, 0.38); box-shadow: inset 3px 0 0 #f59f00; }
.argus-wf-row[data-error] .argus-wf-op { color: var(--argus-error); }
.argus-wf-name { display: flex; align-items: center; gap: 6px; min-width: 0; padding-right: 8px; border-right: 1px solid var(--argus-gridline); white-space: nowrap; }
.argus-wf-toggle { all: unset; flex: none; width: 16px; height: 16px; display: inline-flex; align-items: center; justify-content: center; border-radius: 4px; color: var(--argus-text-secondary); font-size: 10px; }
.argus-wf-toggle:hover { background: var(--argus-hover); }
.argus-wf-toggle[data-leaf] { visibility: hidden; }
.argus-wf-service { flex: 0 1 auto; min-width: 48px; overflow: hidden; text-overflow: ellipsis; font-weight: 600; color: var(--argus-text); }
.argus-wf-op { flex: 1 1 auto; min-width: 40px; overflow: hidden; text-overflow: ellipsis; color: var(--argus-text-secondary); }
.argus-wf-count { flex: none; font-size: 11px; color: var(--mantine-color-dimmed); background: var(--argus-hover); border-radius: 8px; padding: 0 6px; }
.argus-wf-err { flex: none; width: 14px; height: 14px; border-radius: 50%; background: var(--mantine-color-red-8); color: #fff; font-size: 10px; font-weight: 700; display: inline-flex; align-items: center; justify-content: center; }
.argus-wf-warn { flex: none; color: var(--argus-warn); font-size: 12px; }
.argus-wf-lane { position: relative; }
.argus-wf-bar { position: absolute; top: 8px; bottom: 8px; min-width: 2px; border-radius: 3px; }
.argus-wf-bar[data-error] { background-image: repeating-linear-gradient(135deg, rgba(255,255,255,0.35) 0 4px, transparent 4px 8px); box-shadow: inset 0 0 0 1.5px var(--argus-error-mark); }
.argus-wf-critical { position: absolute; top: 14px; height: 2px; background: var(--argus-critical); border-radius: 1px; pointer-events: none; }
.argus-wf-label { position: absolute; top: 0; bottom: 0; display: flex; align-items: center; font-size: 11px; color: var(--argus-text-secondary); white-space: nowrap; font-variant-numeric: tabular-nums; padding: 0 6px; }
.argus-wf-legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12px; color: var(--argus-text-secondary); }
.argus-wf-legend span { display: inline-flex; align-items: center; gap: 6px; }
.argus-wf-swatch { display: inline-block; flex: none; width: 10px; height: 10px; border-radius: 3px; }
.argus-wf-kv { display: grid; grid-template-columns: minmax(96px, 42%) 1fr; gap: 2px 12px; font-size: 12px; }
.argus-wf-kv > dt { color: var(--mantine-color-dimmed); overflow-wrap: break-word; min-width: 0; }
.argus-wf-kv > dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; white-space: pre-wrap; }
.argus-wf-panel { border: 1px solid var(--argus-border); border-radius: 8px; background: var(--argus-surface); overflow: auto; }
`;
