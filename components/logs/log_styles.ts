/**
 * The Logs page's stylesheet, rendered by the page (routes/pages/logs.tsx) beside its island, so
 * that the server-rendered rows are styled before any JavaScript runs and the stylesheet is not
 * part of the island's JavaScript. Rows are plain elements with these classes rather than
 * Mantine components: a live list re-renders dozens of rows per frame, and a class costs nothing
 * per row. Colours are Mantine's CSS variables and static/app.css's --argus-* ones, which hold in both
 * colour schemes.
 *
 * @module
 */

/** Height of a collapsed row, in CSS pixels: the virtualizer's estimate, and exact. */
export const ROW_HEIGHT = 34;

export const LOG_LIST_CSS = `
.argus-logs-page {
  display: flex;
  flex-direction: column;
  gap: var(--mantine-spacing-sm);
  /* The viewport below the shell's header and paddings: the list takes what the rest leaves. */
  height: max(560px, calc(100vh - 120px));
}
.argus-logs-status {
  display: flex;
  align-items: center;
  gap: var(--mantine-spacing-sm);
  min-height: 24px;
}
.argus-logs-frame {
  position: relative;
  display: flex;
  flex-direction: column;
  flex: 1 1 auto;
  min-height: 0;
  border: 1px solid var(--argus-border);
  border-radius: var(--mantine-radius-md);
  background: var(--argus-surface);
  overflow: hidden;
}
.argus-logs-head, .argus-log-summary {
  display: grid;
  grid-template-columns: 14px var(--argus-log-time, 112px) 58px minmax(80px, 150px) minmax(0, 1fr);
  column-gap: 12px;
  align-items: center;
}
.argus-logs-headrow {
  display: flex;
  align-items: center;
  border-bottom: 1px solid var(--argus-border);
  background: var(--argus-subtle);
}
.argus-logs-head {
  flex: 1;
  min-width: 0;
  padding: 6px 12px;
  font-size: 11px;
  font-weight: 600;
  letter-spacing: 0.04em;
  text-transform: uppercase;
  color: var(--mantine-color-dimmed);
}
.argus-logs-scroll {
  position: relative;
  overflow-y: auto;
  overflow-anchor: none;
  flex: 1 1 auto;
  min-height: 0;
  contain: strict;
}
.argus-logs-canvas {
  position: relative;
  width: 100%;
}
.argus-logs-newest {
  position: absolute;
  top: 40px;
  left: 50%;
  transform: translateX(-50%);
  padding: 4px 12px;
  border: 0;
  border-radius: 999px;
  background: var(--mantine-color-indigo-7);
  color: #fff;
  font: inherit;
  font-size: 12px;
  font-weight: 600;
  box-shadow: var(--mantine-shadow-sm);
  cursor: pointer;
  z-index: 2;
}
.argus-logs-newest:focus-visible {
  outline: 2px solid var(--mantine-color-indigo-9);
  outline-offset: 2px;
}
.argus-log {
  position: absolute;
  top: 0;
  left: 0;
  width: 100%;
  border-bottom: 1px solid var(--argus-border);
  border-left: 3px solid transparent;
}
.argus-log[data-color="yellow"] { border-left-color: var(--mantine-color-yellow-5); }
.argus-log[data-color="red"] { border-left-color: var(--mantine-color-red-6); }
.argus-log[data-color="grape"] { border-left-color: var(--mantine-color-grape-6); }
.argus-log[data-expanded] {
  background: var(--argus-subtle);
}
.argus-log-line {
  display: flex;
  align-items: center;
  height: ${ROW_HEIGHT - 1}px;
}
.argus-log-summary {
  flex: 1;
  min-width: 0;
  height: 100%;
  padding: 0 12px 0 9px;
  border: 0;
  background: none;
  font: inherit;
  font-size: 13px;
  color: var(--argus-text);
  text-align: left;
  cursor: pointer;
}
.argus-log-summary:hover {
  background: var(--argus-subtle);
}
.argus-log-summary:focus-visible {
  outline: 2px solid var(--argus-focus);
  outline-offset: -2px;
}
.argus-log-chevron {
  color: var(--mantine-color-dimmed);
  font-size: 10px;
  transition: transform 120ms;
}
.argus-log-summary[aria-expanded="true"] .argus-log-chevron {
  transform: rotate(90deg);
}
.argus-logs-frame[data-dated] {
  --argus-log-time: 146px;
}
.argus-log-time {
  font-family: var(--mantine-font-family-monospace);
  font-size: 12px;
  color: var(--argus-text-secondary);
  white-space: nowrap;
}
.argus-log-sev {
  justify-self: start;
  padding: 1px 6px;
  border-radius: 4px;
  font-size: 10.5px;
  font-weight: 700;
  letter-spacing: 0.03em;
  line-height: 16px;
  background: var(--mantine-color-gray-light);
  color: var(--mantine-color-gray-light-color);
}
.argus-log-sev[data-color="dark"] { background: var(--mantine-color-dark-light); color: var(--mantine-color-dark-light-color); }
.argus-log-sev[data-color="blue"] { background: var(--mantine-color-blue-light); color: var(--mantine-color-blue-light-color); }
.argus-log-sev[data-color="yellow"] { background: var(--mantine-color-yellow-light); color: var(--mantine-color-yellow-light-color); }
.argus-log-sev[data-color="red"] { background: var(--mantine-color-red-light); color: var(--mantine-color-red-light-color); }
.argus-log-sev[data-color="grape"] { background: var(--mantine-color-grape-light); color: var(--mantine-color-grape-light-color); }
.argus-log-service {
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  color: var(--argus-accent);
  font-weight: 500;
}
.argus-log-body {
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  font-family: var(--mantine-font-family-monospace);
  font-size: 12.5px;
}
.argus-log-trace, .argus-log-notrace {
  flex: 0 0 68px;
  text-align: center;
  font-size: 12px;
}
.argus-log-trace {
  align-self: stretch;
  display: flex;
  align-items: center;
  justify-content: center;
  color: var(--argus-accent);
  text-decoration: none;
  font-weight: 500;
}
.argus-log-trace:hover { background: var(--argus-accent-bg); }
.argus-log-trace:focus-visible {
  outline: 2px solid var(--argus-focus);
  outline-offset: -2px;
}
.argus-log-details {
  padding: 4px 16px 14px 35px;
}
.argus-kv {
  width: 100%;
  border-collapse: collapse;
  font-size: 12px;
}
.argus-kv th, .argus-kv td {
  padding: 3px 8px 3px 0;
  vertical-align: top;
  text-align: left;
  border-bottom: 1px solid var(--argus-border);
}
.argus-kv th {
  width: 38%;
  font-weight: 500;
  color: var(--argus-text-secondary);
  word-break: break-all;
}
.argus-kv td {
  font-family: var(--mantine-font-family-monospace);
  word-break: break-all;
  white-space: pre-wrap;
}
.argus-log-fullbody {
  margin: 0;
  padding: 8px 10px;
  max-height: 220px;
  overflow: auto;
  border-radius: var(--mantine-radius-sm);
  background: var(--argus-surface);
  border: 1px solid var(--argus-border);
  font-family: var(--mantine-font-family-monospace);
  font-size: 12px;
  white-space: pre-wrap;
  word-break: break-word;
}
.argus-ctx-list {
  border: 1px solid var(--argus-border);
  border-radius: var(--mantine-radius-md);
  background: var(--argus-surface);
  overflow: hidden;
  font-size: 12.5px;
}
.argus-ctx-row {
  display: grid;
  grid-template-columns: 96px 58px minmax(0, 1fr);
  column-gap: 12px;
  align-items: baseline;
  padding: 4px 10px;
  border-bottom: 1px solid var(--argus-border);
  border-left: 3px solid transparent;
}
.argus-ctx-row[data-anchor] {
  background: var(--argus-anchor-row);
  border-left-color: var(--mantine-color-yellow-6);
  font-weight: 600;
}
.argus-ctx-row .argus-log-body {
  white-space: pre-wrap;
  word-break: break-word;
}
.argus-ctx-gap {
  padding: 6px 10px;
  font-size: 11px;
  color: var(--mantine-color-dimmed);
  text-transform: uppercase;
  letter-spacing: 0.04em;
  background: var(--argus-subtle);
}
/* A match of the search: dark text on yellow, readable in both colour schemes. */
.argus-match {
  padding: 0 1px;
  border-radius: 2px;
  background: #ffe066;
  color: #212529;
}
/* "Load newer" above the rows, "Load older" after the last one (or the other way, oldest first). */
.argus-logs-page-head, .argus-logs-page-foot {
  display: flex;
  justify-content: center;
  padding: 6px;
}
.argus-logs-page-head {
  border-bottom: 1px solid var(--argus-border);
}
`;
