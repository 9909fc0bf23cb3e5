/**
 * The Service Map as tables (islands/ServiceMap.tsx), for the keyboard and screen readers: its
 * services and its calls, with their figures, each linking to its traces, logs, operations and
 * metrics over the map's window.
 *
 * @module
 */
import { Anchor, Group, Table, Text } from "@mantine/core";
import { apiUrl } from "../../utils/api.ts";
import { serviceHref } from "../../utils/service_link.ts";
import { type WindowFilter, windowParams } from "../../utils/time_window.ts";
import { formatCount, formatDuration, fractionPercent } from "../../utils/format.ts";
import { errorRateColor, type MapEdge, type MapNode } from "../../utils/service_map_graph.ts";

/** A service's traces (or failed traces) and logs, over the map's window. */
export const tracesOf = (service: string, window: WindowFilter, status?: string) =>
  apiUrl("/traces", { service, status, ...windowParams(window) });
export const logsOf = (service: string, window: WindowFilter) =>
  apiUrl("/logs", { service, ...windowParams(window) });
/** A service's metrics (the Metrics page filtered to it), over the map's window. */
export const metricsOf = (service: string, window: WindowFilter) =>
  apiUrl("/instruments", { service, ...windowParams(window) });

/** An error rate with its colour on the map. */
function Rate({ rate }: { rate: number }) {
  return (
    <Group gap={6} wrap="nowrap">
      <span
        aria-hidden="true"
        style={{
          display: "inline-block",
          width: 9,
          height: 9,
          borderRadius: 5,
          background: errorRateColor(rate),
        }}
      />
      <Text span size="sm">{fractionPercent(rate)}</Text>
    </Group>
  );
}

/**
 * Names wrap only when one is longer than the cell (never at their hyphens); figures never wrap.
 * A call wraps between its two names (inline blocks), not inside one.
 */
const NAME_CELL = { whiteSpace: "normal", overflowWrap: "anywhere" } as const;
const NAME = { display: "inline-block", whiteSpace: "nowrap" } as const;

export function ServicesTable({ nodes, window }: { nodes: MapNode[]; window: WindowFilter }) {
  return (
    <Table.ScrollContainer minWidth={560} type="native">
      <Table
        verticalSpacing={6}
        horizontalSpacing="xs"
        highlightOnHover
        styles={{ td: { whiteSpace: "nowrap" }, th: { whiteSpace: "nowrap" } }}
        aria-label="Services in the window"
        data-services-table
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Service</Table.Th>
            <Table.Th ta="right">Requests</Table.Th>
            <Table.Th ta="right">Errors</Table.Th>
            <Table.Th>Error rate</Table.Th>
            <Table.Th ta="right">Avg</Table.Th>
            <Table.Th ta="right">p99</Table.Th>
            <Table.Th>Open</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {nodes.map((n) => (
            <Table.Tr key={n.id} data-service={n.id}>
              <Table.Td fw={500}>{n.name}</Table.Td>
              <Table.Td ta="right">{formatCount(n.requests)}</Table.Td>
              <Table.Td ta="right" c={n.errors > 0 ? "red" : undefined}>
                {formatCount(n.errors)}
              </Table.Td>
              <Table.Td>
                <Rate rate={n.error_rate} />
              </Table.Td>
              <Table.Td ta="right">
                {n.requests > 0 ? formatDuration(n.avg_latency_ms) : "–"}
              </Table.Td>
              <Table.Td ta="right">
                {n.requests > 0 ? formatDuration(n.p99_latency_ms) : "–"}
              </Table.Td>
              <Table.Td>
                <Anchor href={tracesOf(n.id, window)} size="sm" aria-label={`Traces of ${n.name}`}>
                  Traces
                </Anchor>
                <Text span size="sm" c="dimmed" mx={6}>·</Text>
                <Anchor href={logsOf(n.id, window)} size="sm" aria-label={`Logs of ${n.name}`}>
                  Logs
                </Anchor>
                <Text span size="sm" c="dimmed" mx={6}>·</Text>
                <Anchor
                  href={serviceHref(n.id, windowParams(window))}
                  size="sm"
                  aria-label={`Operations of ${n.name}`}
                  data-service-operations={n.id}
                >
                  Operations
                </Anchor>
                <Text span size="sm" c="dimmed" mx={6}>·</Text>
                <Anchor
                  href={metricsOf(n.id, window)}
                  size="sm"
                  aria-label={`Metrics of ${n.name}`}
                  data-service-metrics={n.id}
                >
                  Metrics
                </Anchor>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function CallsTable({ edges, window }: { edges: MapEdge[]; window: WindowFilter }) {
  if (edges.length === 0) {
    return <Text size="sm" c="dimmed" p="xs">No calls between services in this window</Text>;
  }
  return (
    <Table.ScrollContainer minWidth={440} type="native">
      <Table
        verticalSpacing={6}
        horizontalSpacing="xs"
        highlightOnHover
        styles={{ td: { whiteSpace: "nowrap" }, th: { whiteSpace: "nowrap" } }}
        aria-label="Calls between services, caller to callee"
        data-edges-table
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Call</Table.Th>
            <Table.Th ta="right">Calls</Table.Th>
            <Table.Th ta="right">Errors</Table.Th>
            <Table.Th>Error rate</Table.Th>
            <Table.Th ta="right">Avg</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {edges.map((e) => (
            <Table.Tr key={`${e.source}→${e.target}`} data-edge={`${e.source}→${e.target}`}>
              <Table.Td style={NAME_CELL}>
                <Anchor href={tracesOf(e.source, window)} size="sm" style={NAME}>{e.source}</Anchor>
                <Text span size="sm" c="dimmed" mx={4} style={NAME}>→</Text>
                <Anchor href={tracesOf(e.target, window)} size="sm" style={NAME}>{e.target}</Anchor>
              </Table.Td>
              <Table.Td ta="right">{formatCount(e.calls)}</Table.Td>
              <Table.Td ta="right" c={e.errors > 0 ? "red" : undefined}>
                {e.errors > 0
                  ? (
                    <Anchor href={tracesOf(e.target, window, "error")} size="sm" c="red">
                      {formatCount(e.errors)}
                    </Anchor>
                  )
                  : "0"}
              </Table.Td>
              <Table.Td>
                <Rate rate={e.error_rate} />
              </Table.Td>
              <Table.Td ta="right">{formatDuration(e.avg_latency_ms)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
