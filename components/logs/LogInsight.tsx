/**
 * The "Explain" button of a log record: asks `GET /api/logs/{id}/insight` for an AI explanation
 * (what likely happened, what to check next) and shows it in a popover, with its loading state and
 * the server's reason when there is none (AI off, provider failed, timed out). The answer is kept
 * while the component lives, so reopening the popover costs nothing; a failure is asked again.
 *
 * @module
 */
import { Alert, Badge, Button, Group, Loader, Popover, ScrollArea, Text } from "@mantine/core";
import { useEffect, useRef, useState } from "preact/hooks";
import type { LogInsight } from "../../routes/insight.ts";
import { ApiError, getJson } from "../../utils/api.ts";
import { errorMessage } from "../../utils/errors.ts";

type Load =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "error"; status: number; message: string }
  | { state: "done"; insight: LogInsight };

/** The heading of a failure, by the status the server answered with. */
function failureTitle(status: number): string {
  switch (status) {
    case 503:
      return "AI insight is off";
    case 504:
      return "The AI provider did not answer in time";
    case 502:
      return "The AI provider gave no explanation";
    case 404:
      return "This record is no longer stored";
    default:
      return "Cannot explain this record";
  }
}

export interface LogInsightButtonProps {
  /** The record's `id` (32 hex characters), as `/api/logs` serves it. */
  logId: string;
}

export function LogInsightButton({ logId }: LogInsightButtonProps) {
  const [opened, setOpened] = useState(false);
  const [load, setLoad] = useState<Load>({ state: "idle" });
  const pending = useRef<AbortController | null>(null);

  // Another record (a reused row): forget the answer and any request still running.
  useEffect(() => {
    setLoad({ state: "idle" });
    setOpened(false);
    return () => pending.current?.abort();
  }, [logId]);

  const ask = () => {
    pending.current?.abort();
    const abort = pending.current = new AbortController();
    setLoad({ state: "loading" });
    getJson<LogInsight>(`/api/logs/${encodeURIComponent(logId)}/insight`, {}, {
      signal: abort.signal,
    })
      .then((insight) => setLoad({ state: "done", insight }))
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        setLoad({
          state: "error",
          status: error instanceof ApiError ? error.status : 0,
          message: errorMessage(error),
        });
      });
  };

  const toggle = () => {
    const next = !opened;
    setOpened(next);
    if (next && (load.state === "idle" || load.state === "error")) ask();
  };

  return (
    <Popover
      opened={opened}
      onChange={setOpened}
      width={460}
      position="bottom-start"
      withArrow
      shadow="md"
    >
      <Popover.Target>
        <Button
          size="compact-sm"
          variant="light"
          color="violet"
          onClick={toggle}
          // Mantine closes on Escape only from inside the dropdown; focus stays on this button.
          onKeyDown={(event: KeyboardEvent) => {
            if (event.key === "Escape" && opened) setOpened(false);
          }}
          aria-expanded={opened}
          data-log-insight-button
        >
          Explain
        </Button>
      </Popover.Target>
      <Popover.Dropdown data-log-insight data-state={load.state}>
        <Group justify="space-between" mb="xs" gap="xs">
          <Text size="sm" fw={650}>AI insight</Text>
          {load.state === "done" && (
            <Badge variant="light" color="gray" tt="none" data-log-insight-model>
              {load.insight.model}
            </Badge>
          )}
        </Group>
        {(load.state === "loading" || load.state === "idle") && (
          <Group gap="xs" py="xs">
            <Loader size="sm" />
            <Text size="sm" c="dimmed">Asking the model about this record…</Text>
          </Group>
        )}
        {load.state === "error" && (
          <Alert
            color={load.status === 503 ? "yellow" : "red"}
            title={failureTitle(load.status)}
            data-log-insight-error
          >
            <Text size="sm">{load.message}</Text>
            {load.status !== 503 && load.status !== 404 && (
              <Button size="compact-xs" variant="subtle" mt="xs" onClick={ask}>
                Try again
              </Button>
            )}
          </Alert>
        )}
        {load.state === "done" && (
          <ScrollArea.Autosize mah={360} type="auto">
            <Text size="sm" style={{ whiteSpace: "pre-wrap" }} data-log-insight-text>
              {load.insight.insight}
            </Text>
          </ScrollArea.Autosize>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}
