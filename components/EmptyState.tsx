/**
 * What a page shows while Argus has no data: exactly how to send some.
 *
 * @module
 */
import { Card, Code, Stack, Text, Title } from "@mantine/core";

export function EmptyState({ what = "data" }: { what?: string }) {
  return (
    <Card withBorder padding="xl" data-empty-state>
      <Stack gap="sm">
        <Title order={4}>No {what} yet</Title>
        <Text size="sm">
          Point any OpenTelemetry SDK at Argus, over OTLP/gRPC or OTLP/HTTP:
        </Text>
        <Code block>
          {`OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317   # gRPC
OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318   # HTTP (protobuf or JSON)`}
        </Code>
        <Text size="sm">Or watch three demo services call each other and fail now and then:</Text>
        <Code block>deno task simulate</Code>
      </Stack>
    </Card>
  );
}
