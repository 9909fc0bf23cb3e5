/**
 * The bar above the waterfall: the legend (each service's colour and its number of spans), the
 * critical path's switch, the zoom's reset button (while zoomed, with the stretch in view), and
 * "Expand all" / "Collapse all". It reads the critical path's switch and the zoom from signals,
 * so only those re-render it; selecting or scrolling does not.
 *
 * @module
 */
import { Button, Group, Switch, Text } from "@mantine/core";
import type { Signal } from "@preact/signals";
import { formatOffset } from "../../utils/waterfall.ts";
import type { TraceZoom } from "./use_trace_zoom.ts";

export interface WaterfallToolbarProps {
  services: readonly string[];
  /** Service name → colour. */
  colors: ReadonlyMap<string, string>;
  /** Spans per service, by index in `services`. */
  counts: readonly number[];
  showCritical: Signal<boolean>;
  zoom: TraceZoom;
  onExpandAll(): void;
  onCollapseAll(): void;
}

export function WaterfallToolbar(
  { services, colors, counts, showCritical, zoom, onExpandAll, onCollapseAll }:
    WaterfallToolbarProps,
) {
  const view = zoom.view.value;
  return (
    <Group justify="space-between" align="center" wrap="wrap" gap="sm">
      <div className="argus-wf-legend" data-legend>
        {services.map((service, i) => (
          <span key={service} data-legend-service={service} data-color={colors.get(service)}>
            <span className="argus-wf-swatch" style={{ background: colors.get(service) }} />
            {service}
            <Text span size="xs" c="dimmed">{counts[i]}</Text>
          </span>
        ))}
      </div>
      <Group gap="xs">
        <Switch
          size="xs"
          label="Critical path"
          checked={showCritical.value}
          onChange={(event: Event) =>
            showCritical.value = (event.currentTarget as HTMLInputElement).checked}
        />
        {zoom.zoomed.value && (
          <Button size="xs" variant="light" onClick={zoom.reset} data-reset-zoom>
            {`Reset zoom (${formatOffset(view.fromNs)}–${formatOffset(view.toNs)})`}
          </Button>
        )}
        <Button size="xs" variant="default" onClick={onExpandAll}>Expand all</Button>
        <Button size="xs" variant="default" onClick={onCollapseAll}>Collapse all</Button>
      </Group>
    </Group>
  );
}
