/**
 * Argus's own health, refreshed live from `/api/health`: ingestion rate, DLQ size, WebSocket
 * clients, database latency p99, queue depth; and the replicas sharing the database that are
 * alive, each with its queue and DLQ, and which one runs the periodic work.
 *
 * @module
 */
import { Badge, Group, SimpleGrid, Table, Text, Title } from "@mantine/core";
import { useEffect, useState } from "preact/hooks";
import { Figure } from "../components/page/Figure.tsx";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { errorMessage } from "../utils/errors.ts";
import type { WireHealth, WireReplica } from "../utils/wire.ts";

export interface HealthPanelProps extends Record<string, unknown> {
  initial: WireHealth | null;
  /** Milliseconds between refreshes. */
  refreshMs?: number;
}

export default function HealthPanel({ initial, refreshMs = 5000 }: HealthPanelProps) {
  const [health, setHealth] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    const refresh = async () => {
      try {
        const response = await fetch("/api/health");
        const body = await response.json();
        if (!stopped) {
          setHealth(body);
          setError(null);
        }
      } catch (e) {
        if (!stopped) setError(errorMessage(e));
      }
    };
    const timer = setInterval(refresh, refreshMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [refreshMs]);
  return (
    <IslandProvider>
      <Group mb="sm" gap="xs">
        <Badge color={health?.status === "ok" ? "teal" : "red"} variant="light">
          {health?.status ?? "unknown"}
        </Badge>
        {health && <Text size="sm" c="dimmed">{health.db_driver} · v{health.version}</Text>}
        {error && <Text size="sm" c="red">Cannot refresh: {error}</Text>}
      </Group>
      <SimpleGrid cols={{ base: 2, md: 5 }}>
        <Figure
          framed
          size="xl"
          label="Ingestion rate"
          value={health ? `${health.ingestion_rate.toFixed(1)}/s` : "–"}
          hint="items stored per second, last minute"
        />
        <Figure
          framed
          size="xl"
          label="DLQ size"
          value={health ? String(health.dlq_size) : "–"}
          hint="batch files waiting"
        />
        <Figure
          framed
          size="xl"
          label="WebSocket clients"
          value={health ? String(health.active_connections) : "–"}
        />
        <Figure
          framed
          size="xl"
          label="DB latency p99"
          value={health?.db_latency_p99_ms == null
            ? "–"
            : `${health.db_latency_p99_ms.toFixed(1)} ms`}
          hint="last minute"
        />
        <Figure
          framed
          size="xl"
          label="Queue depth"
          value={health ? String(health.queue_depth) : "–"}
          hint="rows waiting"
        />
      </SimpleGrid>
      {health?.replicas && health.replicas.length > 0 && (
        <Replicas replicas={health.replicas} self={health.replica ?? null} />
      )}
    </IslandProvider>
  );
}

/** The alive replicas; times as the server sent them (UTC), to the second. */
function Replicas({ replicas, self }: { replicas: WireReplica[]; self: string | null }) {
  const time = (iso: string) => iso.slice(0, 19).replace("T", " ");
  return (
    <>
      <Title order={4} mt="md" mb="xs">Replicas ({replicas.length} alive)</Title>
      <Table verticalSpacing={4} horizontalSpacing="xs" data-testid="replicas">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Replica</Table.Th>
            <Table.Th>PID</Table.Th>
            <Table.Th>Version</Table.Th>
            <Table.Th>Started (UTC)</Table.Th>
            <Table.Th>Last heartbeat (UTC)</Table.Th>
            <Table.Th>Queue rows</Table.Th>
            <Table.Th>DLQ files</Table.Th>
            <Table.Th>Maintenance</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {replicas.map((r) => (
            <Table.Tr key={r.id} data-replica={r.id}>
              <Table.Td>
                {r.id === self ? `${r.name} (this one)` : r.name}
              </Table.Td>
              <Table.Td>
                <Text span size="xs" ff="monospace">{r.id.slice(0, 8)}</Text>
              </Table.Td>
              <Table.Td>{r.pid}</Table.Td>
              <Table.Td>{r.version}</Table.Td>
              <Table.Td>{time(r.started_time)}</Table.Td>
              <Table.Td>{time(r.heartbeat_time)}</Table.Td>
              <Table.Td>{r.queue_rows}</Table.Td>
              <Table.Td>{r.dlq_files}</Table.Td>
              <Table.Td>
                {r.holds_maintenance
                  ? <Badge size="sm" variant="light">retention, rollups</Badge>
                  : "–"}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}
