/**
 * The filter bar shared by Dashboard, Logs and Traces: a service (from
 * `/api/metadata/services`) and a time range, plus whatever a page adds as children.
 *
 * @module
 */
import { Group, SegmentedControl, Select } from "@mantine/core";
import type { ComponentChildren } from "preact";
import { RANGES } from "../../utils/time_window.ts";

export interface FilterBarProps {
  services: string[];
  /** "" for all services. */
  service: string;
  range: string;
  onChange(patch: { service?: string; range?: string }): void;
  children?: ComponentChildren;
}

export function FilterBar({ services, service, range, onChange, children }: FilterBarProps) {
  const options = [...new Set([...services, ...(service ? [service] : [])])].sort();
  return (
    <Group gap="sm" align="end" wrap="wrap" data-filter-bar>
      <Select
        label="Service"
        placeholder="All services"
        aria-label="Service"
        data={options}
        value={service || null}
        onChange={(value: string | null) => onChange({ service: value ?? "" })}
        clearable
        searchable
        w={240}
        comboboxProps={{ withinPortal: true }}
      />
      <SegmentedControl
        aria-label="Time range"
        data={Object.keys(RANGES).map((r) => ({ value: r, label: r }))}
        value={range}
        onChange={(value: string) => onChange({ range: value })}
      />
      {children}
    </Group>
  );
}
