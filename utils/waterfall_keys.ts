/**
 * The trace waterfall's keyboard, as a pure function: which row a key moves the focus to, which
 * span it collapses or expands, which it opens. It follows the WAI-ARIA tree view pattern: Up and
 * Down move by visible row, Page Up and Page Down by a screenful, Home and End to the ends, Right
 * expands a collapsed span or enters its first child, Left collapses an expanded span or climbs to
 * its parent, Enter opens a span's details, Space opens or closes them, Escape closes them.
 * Tested in utils/waterfall_keys_test.ts; components/trace/use_trace_keyboard.ts applies it.
 *
 * @module
 */
import { hasChildren, type SpanTree, type VisibleRows } from "./waterfall.ts";

/** What a key does; `none` when the key is the tree's but has nothing to do here. */
export type WaterfallKeyAction =
  | { kind: "focus"; position: number }
  | { kind: "toggle"; position: number }
  /** Opens a span's details; -1 closes them. */
  | { kind: "select"; position: number }
  | { kind: "none" };

export interface WaterfallKeyContext {
  tree: SpanTree;
  rows: VisibleRows;
  collapsed: ReadonlySet<number>;
  /** The focused row's tree position. */
  position: number;
  /** The selected span's position, -1 for none. */
  selected: number;
  /** Rows in a screenful, for Page Up and Page Down (at least 1). */
  pageRows: number;
}

/** What `key` does on the focused row, or null for a key the tree leaves alone. */
export function waterfallKeyAction(
  key: string,
  { tree, rows, collapsed, position, selected, pageRows }: WaterfallKeyContext,
): WaterfallKeyAction | null {
  const row = rows.rowOf(position);
  const page = Math.max(1, pageRows);
  const focusRow = (r: number): WaterfallKeyAction => ({
    kind: "focus",
    position: rows.positionAt(Math.min(rows.count - 1, Math.max(0, r))),
  });
  const parent = hasChildren(tree, position);
  switch (key) {
    case "ArrowDown":
      return focusRow(row + 1);
    case "ArrowUp":
      return focusRow(row - 1);
    case "PageDown":
      return focusRow(row + page);
    case "PageUp":
      return focusRow(row - page);
    case "Home":
      return focusRow(0);
    case "End":
      return focusRow(rows.count - 1);
    case "ArrowRight":
      if (collapsed.has(position)) return { kind: "toggle", position };
      return parent ? { kind: "focus", position: position + 1 } : { kind: "none" };
    case "ArrowLeft":
      if (parent && !collapsed.has(position)) return { kind: "toggle", position };
      return tree.parent[position]! >= 0
        ? { kind: "focus", position: tree.parent[position]! }
        : { kind: "none" };
    case "Enter":
      return { kind: "select", position };
    case " ":
      return { kind: "select", position: position === selected ? -1 : position };
    case "Escape":
      return { kind: "select", position: -1 };
    default:
      return null;
  }
}
