/**
 * The head of a page that refreshes itself (Dashboard, Service Map): title and subtitle, the
 * filter bar with the refresh control, and the API's error sentence when the last load failed.
 *
 * @module
 */
import { Alert, Group, Text, Title } from "@mantine/core";
import type { ComponentChildren } from "preact";
import type { AutoRefresh } from "../hooks/auto_refresh.ts";
import { FilterBar, type FilterBarPatch } from "./FilterBar.tsx";
import type { WindowFilter } from "../../utils/time_window.ts";
import { RefreshControl } from "./RefreshControl.tsx";

export interface RefreshedHeaderProps {
  title: string;
  subtitle: ComponentChildren;
  services: string[];
  filters: { service: string } & WindowFilter;
  onFilters(patch: FilterBarPatch): void;
  refresh: AutoRefresh<unknown>;
  intervalMs: number;
  /** The error alert's title, e.g. "Cannot load the dashboard". */
  errorTitle: string;
}

export function RefreshedHeader(props: RefreshedHeaderProps) {
  const { refresh } = props;
  return (
    <>
      <Group justify="space-between" align="flex-end" wrap="wrap" gap="md">
        <div>
          <Title order={2}>{props.title}</Title>
          <Text size="sm" c="dimmed">{props.subtitle}</Text>
        </div>
        <FilterBar
          services={props.services}
          service={props.filters.service}
          window={props.filters}
          onChange={props.onFilters}
        >
          <RefreshControl
            updatedAt={refresh.updatedAt}
            loading={refresh.loading}
            paused={refresh.paused}
            intervalMs={props.intervalMs}
            onPausedChange={refresh.setPaused}
            onRefresh={refresh.refresh}
          />
        </FilterBar>
      </Group>
      {refresh.error && (
        <Alert color="red" variant="light" title={props.errorTitle} data-error>
          {refresh.error}
        </Alert>
      )}
    </>
  );
}
