/**
 * The provider every island wraps its content in: Mantine needs one per island (islands hydrate
 * separately). CSS variables and global classes come from the page shell, not from each island,
 * and so does the colour scheme: an island's provider leaves `<html>`'s scheme attribute alone
 * (no root element to set it on), which the shell, static/color-scheme.js and the client entry own.
 *
 * @module
 */
import { MantineProvider } from "@mantine/core";
import type { ComponentChildren } from "preact";
import { theme } from "./theme.ts";

const noRootElement = () => undefined;

export function IslandProvider({ children }: { children: ComponentChildren }) {
  return (
    <MantineProvider
      theme={theme}
      getRootElement={noRootElement}
      withCssVariables={false}
      withGlobalClasses={false}
    >
      {children}
    </MantineProvider>
  );
}
