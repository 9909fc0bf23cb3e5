/**
 * `GET /traces`: Traces (being built).
 *
 * @module
 */
import { Text, Title } from "@mantine/core";
import { h } from "preact";
import type { PageDef } from "./mod.ts";

export const tracesPage: PageDef = {
  path: "/traces",
  active: "/traces",
  render() {
    return Promise.resolve({
      title: "Traces",
      body: h(
        "div",
        null,
        h(Title, { order: 2 }, "Traces"),
        h(Text, { c: "dimmed" }, "Coming soon"),
      ),
    });
  },
};
