/**
 * What a page shows while Argus's database is away: that data is still being received and kept,
 * why the page cannot show any, and that it will once the database is back.
 *
 * @module
 */
import { Alert, Stack, Text } from "@mantine/core";

export function DatabaseUnavailable({ message }: { message: string }) {
  return (
    <Alert color="orange" title="Database unavailable" data-database-unavailable>
      <Stack gap="xs">
        <Text size="sm">
          Argus cannot read its database now, so this page has nothing to show. Telemetry sent to
          Argus is still acknowledged and kept in its dead-letter queue, and is stored as soon as
          the database is back. Reload the page then.
        </Text>
        <Text size="sm" c="dimmed">{message}</Text>
      </Stack>
    </Alert>
  );
}
