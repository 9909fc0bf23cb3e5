/**
 * Server side of an island: renders the island's component (so the page shows it before any
 * JavaScript runs) inside `<argus-island>`, with its props as JSON beside it for the client entry
 * (routes/_assets.ts) to hydrate. Props must be serializable.
 *
 * @module
 */
import { type ComponentType, h } from "preact";

/** JSON safe inside a `<script>`: `<` is escaped, so no `</script>` can end it early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(
    /\u2028|\u2029/g,
    (c) => c === "\u2028" ? "\\u2028" : "\\u2029",
  );
}

export function Island<P extends Record<string, unknown>>(
  { name, component, props }: { name: string; component: ComponentType<P>; props: P },
) {
  return h(
    "argus-island",
    { "data-island": name },
    h("script", {
      type: "application/json",
      dangerouslySetInnerHTML: { __html: scriptJson(props) },
    }),
    h("argus-island-root", { style: "display: contents" }, h(component, props)),
  );
}
