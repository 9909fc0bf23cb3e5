/**
 * What a page shows when its request cannot be answered: the status, the reason in the words of
 * the API's error (which parameter, what is allowed), and a way back.
 *
 * @module
 */
import { Alert, Anchor, Stack, Text } from "@mantine/core";

const TITLES: Record<number, string> = {
  400: "This page cannot be shown for this address",
  401: "Not logged in",
  403: "Not allowed",
  404: "Not found",
  503: "Argus cannot answer now",
};

export function ErrorPage({ status, message }: { status: number; message: string }) {
  return (
    <Alert
      color={status >= 500 ? "red" : "orange"}
      title={TITLES[status] ?? (status >= 500 ? "Something went wrong" : "Cannot show this page")}
      data-error-page={status}
    >
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
        <Text size="sm">
          <Anchor href="/">Back to the dashboard</Anchor>
        </Text>
      </Stack>
    </Alert>
  );
}
