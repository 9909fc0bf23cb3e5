/**
 * The filter bar shared by Dashboard, Service Map, Logs and Traces: a service (from
 * `/api/metadata/services`) and the time window (components/page/TimeRangePicker.tsx), plus
 * whatever a page adds as children.
 *
 * @module
 */
import { Group, Select } from "@mantine/core";
import type { ComponentChildren } from "preact";
import type { WindowFilter } from "../../utils/time_window.ts";
import { TimeRangePicker } from "./TimeRangePicker.tsx";

/** A change of the bar: a service, or a whole window (a range clears `start` and `end`). */
export type FilterBarPatch = { service?: string } & Partial<WindowFilter>;

export interface FilterBarProps {
  services: string[];
  /** "" for all services. */
  service: string;
  window: WindowFilter;
  onChange(patch: FilterBarPatch): void;
  children?: ComponentChildren;
}

export function FilterBar({ services, service, window, onChange, children }: FilterBarProps) {
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
      <TimeRangePicker window={window} onChange={onChange} />
      {children}
    </Group>
  );
}
