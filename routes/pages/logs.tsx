/**
 * `GET /logs`: Logs (being built).
 *
 * @module
 */
import { Text, Title } from "@mantine/core";
import { h } from "preact";
import type { PageDef } from "./mod.ts";

export const logsPage: PageDef = {
  path: "/logs",
  active: "/logs",
  render() {
    return Promise.resolve({
      title: "Logs",
      body: h("div", null, h(Title, { order: 2 }, "Logs"), h(Text, { c: "dimmed" }, "Coming soon")),
    });
  },
};
