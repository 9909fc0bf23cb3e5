/**
 * "Compare with…": a plain GET form to `/traces/compare` (routes/pages/compare.tsx), so it works
 * before and without JavaScript. With `a`, it asks for the other trace's id only (the trace
 * page's header); without, for both.
 *
 * @module
 */
import { Button, Group, TextInput } from "@mantine/core";

export function CompareForm({ a, b }: { a?: string; b?: string }) {
  return (
    <form method="get" action="/traces/compare" data-compare-form>
      <Group gap="xs" align="flex-end" wrap="wrap">
        {a === undefined
          ? (
            <TextInput
              name="a"
              label="Trace A"
              placeholder="trace id (32 hex characters)"
              size="xs"
              w={300}
              required
              className="argus-mono"
            />
          )
          : <input type="hidden" name="a" value={a} />}
        <TextInput
          name="b"
          label={a === undefined ? "Trace B" : "Compare with trace"}
          placeholder="trace id (32 hex characters)"
          defaultValue={b}
          size="xs"
          w={300}
          required
          className="argus-mono"
          data-compare-with
        />
        <Button type="submit" size="xs" variant="light">Compare</Button>
      </Group>
    </form>
  );
}
