/**
 * `GET /service-map`: Service Map (being built).
 *
 * @module
 */
import { Text, Title } from "@mantine/core";
import { h } from "preact";
import type { PageDef } from "./mod.ts";

export const serviceMapPage: PageDef = {
  path: "/service-map",
  active: "/service-map",
  render() {
    return Promise.resolve({
      title: "Service Map",
      body: h(
        "div",
        null,
        h(Title, { order: 2 }, "Service Map"),
        h(Text, { c: "dimmed" }, "Coming soon"),
      ),
    });
  },
};
