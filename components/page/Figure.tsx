/**
 * One labelled figure: a small uppercase label over a value, an optional hint under it, framed
 * as a card (the Dashboard's and Settings' stat cards) or bare (the trace header's row). The
 * value carries `data-figure` (its key, the label by default) and, when given, `data-value`, the
 * unformatted number behind it.
 *
 * @module
 */
import { Card, Stack, Text } from "@mantine/core";

export interface FigureProps {
  label: string;
  /** As shown, with its unit. */
  value: string;
  hint?: string;
  /** The value's colour, e.g. red when errors are counted. */
  color?: string;
  /** `sm` for a row of figures, `xl` for a card, `hero` for the Dashboard's headline cards. */
  size?: "sm" | "xl" | "hero";
  /** In a bordered card. */
  framed?: boolean;
  /** `data-figure`: a stable key when the label may change. */
  figure?: string;
  /** The number behind the value, unformatted (its title and `data-value`). */
  raw?: number;
}

export function Figure(
  { label, value, hint, color, size = "sm", framed = false, figure = label, raw }: FigureProps,
) {
  const body = (
    <>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>{label}</Text>
      <Text
        {...(size === "hero" ? { fz: 26, lh: 1.3, mt: 2 } : { size, mt: size === "xl" ? 4 : 0 })}
        fw={size === "sm" ? 600 : 700}
        c={color}
        title={raw === undefined ? undefined : String(raw)}
        data-figure={figure}
        data-value={raw === undefined ? undefined : String(raw)}
      >
        {value}
      </Text>
      {hint && <Text size="xs" c="dimmed">{hint}</Text>}
    </>
  );
  return framed ? <Card withBorder padding="md">{body}</Card> : <Stack gap={0}>{body}</Stack>;
}
