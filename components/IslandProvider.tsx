/**
 * The provider every island wraps its content in: Mantine needs one per island (islands hydrate
 * separately). CSS variables and global classes come from the page shell, not from each island.
 *
 * @module
 */
import { MantineProvider } from "@mantine/core";
import type { ComponentChildren } from "preact";
import { theme } from "./theme.ts";

export function IslandProvider({ children }: { children: ComponentChildren }) {
  return (
    <MantineProvider
      theme={theme}
      forceColorScheme="light"
      withCssVariables={false}
      withGlobalClasses={false}
    >
      {children}
    </MantineProvider>
  );
}
