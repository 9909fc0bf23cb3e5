import assert from "node:assert/strict";
import { splitImport } from "./_mantine_imports.ts";

const DEFINED = new Map([
  ["Button", { file: "/m/Button.mjs", name: "Button" }],
  ["Select", { file: "/m/Select.mjs", name: "Select" }],
  ["useMantineTheme", { file: "/m/theme.mjs", name: "useMantineTheme" }],
]);

Deno.test("splitImport() imports each name from the module that defines it, on one line", () => {
  assert.equal(
    splitImport("\n  Button,\n  Select as Choice,\n", DEFINED),
    'import { Button as Button } from "/m/Button.mjs"; ' +
      'import { Select as Choice } from "/m/Select.mjs";',
  );
});

Deno.test("splitImport() drops type-only names and keeps unknown ones on the package", () => {
  assert.equal(
    splitImport("type MantineTheme, useMantineTheme, ComboboxItem", DEFINED),
    'import { useMantineTheme as useMantineTheme } from "/m/theme.mjs"; ' +
      'import { ComboboxItem } from "@mantine/core";',
  );
});
