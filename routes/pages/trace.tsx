/**
 * `GET /traces/{trace_id}`: Trace (being built).
 *
 * @module
 */
import { Text, Title } from "@mantine/core";
import { h } from "preact";
import type { PageDef } from "./mod.ts";

export const tracePage: PageDef = {
  path: "/traces/{trace_id}",
  active: "/traces",
  render() {
    return Promise.resolve({
      title: "Trace",
      body: h(
        "div",
        null,
        h(Title, { order: 2 }, "Trace"),
        h(Text, { c: "dimmed" }, "Coming soon"),
      ),
    });
  },
};
