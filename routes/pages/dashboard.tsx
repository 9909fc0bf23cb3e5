/**
 * `GET /`: Dashboard (being built).
 *
 * @module
 */
import { Text, Title } from "@mantine/core";
import { h } from "preact";
import type { PageDef } from "./mod.ts";

export const dashboardPage: PageDef = {
  path: "/",
  active: "/",
  render() {
    return Promise.resolve({
      title: "Dashboard",
      body: h(
        "div",
        null,
        h(Title, { order: 2 }, "Dashboard"),
        h(Text, { c: "dimmed" }, "Coming soon"),
      ),
    });
  },
};
