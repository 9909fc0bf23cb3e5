/**
 * The Dashboard's failure panels (islands/Dashboard.tsx): "Where errors start" (per service, the
 * failed traces whose deepest failure is in it) and "Failing requests by service" (errors passed
 * on included), each service linking to its failed traces, its operations and its metrics over
 * the window; and the titled card every Dashboard panel sits in.
 *
 * @module
 */
import { Anchor, Card, Center, Group, Progress, Stack, Table, Text, Title } from "@mantine/core";
import type { ComponentChildren } from "preact";
import { apiUrl } from "../../utils/api.ts";
import { formatCount, fractionPercent } from "../../utils/format.ts";
import { serviceHref } from "../../utils/service_link.ts";
import { type WindowFilter, windowParams } from "../../utils/time_window.ts";
import type { DashboardFigures } from "../../utils/dashboard_data.ts";

/** A titled card: a Dashboard panel. */
export function Panel(
  { title, hint, children, ...rest }: {
    title: string;
    hint?: string;
    children: ComponentChildren;
    [data: `data-${string}`]: string;
  },
) {
  return (
    <Card withBorder padding="md" h="100%" {...rest}>
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <Title order={4} fz="md">{title}</Title>
        {hint && <Text size="xs" c="dimmed">{hint}</Text>}
      </Group>
      {children}
    </Card>
  );
}

/** A service's name, linking to its failed traces of the window. */
function FailedTracesLink({ service, window }: { service: string; window: WindowFilter }) {
  return (
    <Anchor
      href={apiUrl("/traces", { service, status: "error", ...windowParams(window) })}
      size="sm"
      fw={500}
      title={`Failed traces of ${service}`}
    >
      {service}
    </Anchor>
  );
}

/** A fraction as a short red bar and a percentage. */
function ShareBar({ fraction }: { fraction: number }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Progress
        value={Math.min(100, fraction * 100)}
        color="red"
        size="sm"
        w={44}
        aria-hidden="true"
      />
      <Text size="sm">{fractionPercent(fraction)}</Text>
    </Group>
  );
}

/**
 * Where errors start: per service, the failed traces in which a failing span of it has no failing
 * child (the deepest failure), so a service that only passes errors on is not blamed for them.
 */
export function ErrorOrigins(
  { origins, window }: { origins: DashboardFigures["error_origins"]; window: WindowFilter },
) {
  if (origins.services.length === 0) {
    return (
      <Center h={120} data-error-origins="none">
        <Stack gap={4} align="center">
          <Text fz={28} c="teal" aria-hidden="true">✓</Text>
          <Text size="sm" c="dimmed">No failed traces in this window</Text>
        </Stack>
      </Center>
    );
  }
  return (
    <Stack gap="xs">
      <Table verticalSpacing={8} horizontalSpacing="xs" data-error-origins>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Service</Table.Th>
            <Table.Th ta="right">Failed traces</Table.Th>
            <Table.Th w={110}>Share</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {origins.services.slice(0, 5).map((s) => {
            const share = origins.failed_traces > 0 ? s.traces / origins.failed_traces : 0;
            return (
              <Table.Tr key={s.service_name} data-service={s.service_name}>
                <Table.Td maw={160} style={{ overflowWrap: "anywhere" }}>
                  <FailedTracesLink service={s.service_name} window={window} />
                </Table.Td>
                <Table.Td ta="right" data-traces={s.traces}>
                  <Text span size="sm" c="red" fw={600}>{formatCount(s.traces)}</Text>
                </Table.Td>
                <Table.Td>
                  <ShareBar fraction={share} />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed" data-error-origins-note>
        The deepest failing service of each failed trace: its failing span has no failing child.
        {origins.limited
          ? ` From the newest ${formatCount(origins.examined_spans)} failing spans of the window.`
          : ""}
      </Text>
    </Stack>
  );
}

export function TopFailing(
  { services, window }: {
    services: DashboardFigures["top_failing_services"];
    window: WindowFilter;
  },
) {
  if (services.length === 0) {
    return (
      <Center h={200} data-top-failing="none">
        <Stack gap={4} align="center">
          <Text fz={28} c="teal" aria-hidden="true">✓</Text>
          <Text size="sm" c="dimmed">No failed requests in this window</Text>
        </Stack>
      </Center>
    );
  }
  return (
    <Table verticalSpacing={8} horizontalSpacing="xs" data-top-failing>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Service</Table.Th>
          <Table.Th ta="right">Errors</Table.Th>
          <Table.Th w={120}>Error rate</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {services.map((s) => (
          <Table.Tr key={s.service_name} data-service={s.service_name}>
            <Table.Td maw={160} style={{ overflowWrap: "anywhere" }}>
              <FailedTracesLink service={s.service_name} window={window} />
              <Anchor
                href={serviceHref(s.service_name, windowParams(window))}
                size="xs"
                ml={6}
                aria-label={`Operations of ${s.service_name}`}
                data-service-operations={s.service_name}
              >
                operations
              </Anchor>
              <Anchor
                href={apiUrl("/instruments", {
                  service: s.service_name,
                  ...windowParams(window),
                })}
                size="xs"
                ml={6}
                aria-label={`Metrics of ${s.service_name}`}
                data-service-metrics={s.service_name}
              >
                metrics
              </Anchor>
            </Table.Td>
            <Table.Td ta="right" style={{ whiteSpace: "nowrap" }}>
              <Text span size="sm" c="red" fw={600}>{s.error_count}</Text>
              <Text span size="xs" c="dimmed">{` / ${s.total_count}`}</Text>
            </Table.Td>
            <Table.Td>
              <ShareBar fraction={s.error_rate} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
