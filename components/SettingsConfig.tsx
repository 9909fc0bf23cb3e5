/**
 * The Settings page's configuration card, from `GET /api/settings`: retention, the endpoints to
 * send OTLP to and the ports they listen on, the database (kind, where, size) and which tokens are
 * on. Rendered on the server only: nothing in it changes without a restart but the database's
 * size, which a reload shows.
 *
 * @module
 */
import { Badge, Card, Code, Group, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import type { ComponentChildren } from "preact";
import type { WireSettings } from "../utils/wire.ts";
import { formatBytes } from "../utils/format.ts";

const DATABASES: Record<string, string> = {
  sqlite: "SQLite",
  postgres: "PostgreSQL",
  mysql: "MySQL / MariaDB",
  sqlserver: "SQL Server",
};

function Row(
  { label, setting, children }: { label: string; setting: string; children: ComponentChildren },
) {
  return (
    <Table.Tr>
      <Table.Th w={190} fw={500}>
        <Text size="sm" c="dimmed">{label}</Text>
      </Table.Th>
      <Table.Td data-setting={setting}>{children}</Table.Td>
    </Table.Tr>
  );
}

function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <Stack gap={4}>
      <Title order={4} fz="sm" tt="uppercase" c="dimmed">{title}</Title>
      <Table verticalSpacing={6} horizontalSpacing="xs">
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </Stack>
  );
}

function OnOff({ on, variable }: { on: boolean; variable: string }) {
  return (
    <Group gap={8} wrap="nowrap">
      <Badge color={on ? "teal" : "gray"} variant="light" data-on={on ? "true" : "false"}>
        {on ? "on" : "off"}
      </Badge>
      <Text size="xs" c="dimmed">{variable}</Text>
    </Group>
  );
}

export function SettingsConfig({ settings }: { settings: WireSettings }) {
  const { retention, endpoints, database, tokens, limits } = settings;
  const unknown = <Text size="sm" c="dimmed">not known to this process</Text>;
  return (
    <Card withBorder padding="lg" data-settings-config>
      <Group justify="space-between" mb="sm">
        <Title order={3} fz="lg">Configuration</Title>
        <Text size="xs" c="dimmed">
          Argus {settings.version} · set by environment variables (README), read at start
        </Text>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
        <Stack gap="md">
          <Section title="Data">
            <Row label="Retention" setting="retention">
              <Text size="sm" fw={600}>
                {retention.enabled ? retention.duration : "off: data is kept until purged"}
              </Text>
              {retention.enabled && (
                <Text size="xs" c="dimmed">older data is deleted every hour · RETENTION</Text>
              )}
            </Row>
            <Row label="Database" setting="database">
              <Text size="sm" fw={600}>{DATABASES[database.driver] ?? database.driver}</Text>
              {database.dsn !== null && (
                <Code style={{ overflowWrap: "anywhere" }}>{database.dsn}</Code>
              )}
            </Row>
            <Row label="Database size" setting="database-size">
              <Text size="sm" data-bytes={database.size_bytes ?? undefined}>
                {database.size_bytes === null
                  ? "not known (not reported, or the database did not answer)"
                  : formatBytes(database.size_bytes)}
              </Text>
              <Text size="xs" c="dimmed">Argus's tables and their indexes</Text>
            </Row>
          </Section>
          <Section title="Queries">
            {limits === null ? <Row label="Limits" setting="limits">{unknown}</Row> : (
              <>
                <Row label="Longest window" setting="query-max-window">
                  <Text size="sm">{limits.query_max_window} · QUERY_MAX_WINDOW</Text>
                </Row>
                <Row label="Query timeout" setting="query-timeout">
                  <Text size="sm">{limits.query_timeout} · QUERY_TIMEOUT</Text>
                </Row>
              </>
            )}
          </Section>
        </Stack>
        <Stack gap="md">
          <Section title="Endpoints">
            {endpoints === null ? <Row label="Ports" setting="endpoints">{unknown}</Row> : (
              <>
                <Row label="OTLP/HTTP" setting="otlp-http">
                  <Code>{endpoints.otlp_http_url}</Code>
                  <Text size="xs" c="dimmed">
                    port {endpoints.otlp_http_port} · OTLP_HTTP_PORT
                  </Text>
                </Row>
                <Row label="OTLP/gRPC" setting="otlp-grpc">
                  <Code>{endpoints.otlp_grpc_url}</Code>
                  <Text size="xs" c="dimmed">port {endpoints.grpc_port} · GRPC_PORT</Text>
                </Row>
                <Row label="UI and API" setting="http">
                  <Code>{endpoints.ui_url}</Code>
                  <Text size="xs" c="dimmed">port {endpoints.http_port} · HTTP_PORT</Text>
                </Row>
                <Row label="Listening on" setting="host">
                  <Text size="sm">{endpoints.host} · HOST</Text>
                </Row>
              </>
            )}
          </Section>
          <Section title="Tokens">
            {tokens === null ? <Row label="Tokens" setting="tokens">{unknown}</Row> : (
              <>
                <Row label="UI and API" setting="api-token">
                  <OnOff on={tokens.api} variable="API_TOKEN" />
                </Row>
                <Row label="Admin endpoints" setting="admin-token">
                  <OnOff on={tokens.admin} variable="ADMIN_TOKEN" />
                </Row>
                <Row label="OTLP ingest" setting="ingest-token">
                  <OnOff on={tokens.ingest} variable="INGEST_TOKEN" />
                </Row>
              </>
            )}
          </Section>
        </Stack>
      </SimpleGrid>
    </Card>
  );
}
