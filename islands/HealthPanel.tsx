/**
 * Argus's own health, refreshed live from `/api/health`: ingestion rate, DLQ size, WebSocket
 * clients, database latency p99, queue depth.
 *
 * @module
 */
import { Badge, Group, SimpleGrid, Text } from "@mantine/core";
import { useEffect, useState } from "preact/hooks";
import { Figure } from "../components/page/Figure.tsx";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { errorMessage } from "../utils/errors.ts";

export interface HealthFigures {
  status: string;
  ingestion_rate: number;
  dlq_size: number;
  active_connections: number;
  db_latency_p99_ms: number | null;
  db_driver: string;
  queue_depth: number;
  uptime_s: number;
  version: string;
  db_error?: string;
}

export interface HealthPanelProps extends Record<string, unknown> {
  initial: HealthFigures | null;
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
    </IslandProvider>
  );
}
