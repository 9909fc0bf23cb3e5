/**
 * An "Explain" button: asks an insight route (a log record's, `GET /api/logs/{id}/insight`, or a
 * trace's, `GET /api/traces/{trace_id}/insight`) for an AI explanation (what likely happened,
 * what to check next) and shows it in a popover as the model writes it (utils/insight_stream.ts),
 * with the server's reason when there is none (AI off, provider failed, timed out). The answer is
 * kept while the component lives, so reopening the popover costs nothing; a failure is asked
 * again.
 *
 * @module
 */
import { Alert, Badge, Button, Group, Loader, Popover, ScrollArea, Text } from "@mantine/core";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../utils/api.ts";
import { errorMessage } from "../utils/errors.ts";
import { streamInsight, type WireInsight } from "../utils/insight_stream.ts";

type Load =
  | { state: "idle" }
  /** Asked; no word of the answer yet. */
  | { state: "asking" }
  /** The answer so far, as the model writes it. */
  | { state: "streaming"; text: string }
  | { state: "error"; status: number; message: string }
  | { state: "done"; insight: WireInsight };

/** The heading of a failure, by the status the server answered with. */
function failureTitle(status: number, subject: string): string {
  switch (status) {
    case 503:
      return "AI insight is off";
    case 504:
      return "The AI provider did not answer in time";
    case 502:
      return "The AI provider gave no explanation";
    case 404:
      return `This ${subject} is no longer stored`;
    default:
      return `Cannot explain this ${subject}`;
  }
}

export interface InsightButtonProps {
  /** The insight route, e.g. `/api/logs/{id}/insight`. */
  path: string;
  /** What is explained, as the texts name it: "record", "trace". */
  subject: string;
  /** The button's text. */
  label?: string;
  size?: "compact-sm" | "sm";
}

export function InsightButton(
  { path, subject, label = "Explain", size = "compact-sm" }: InsightButtonProps,
) {
  const [opened, setOpened] = useState(false);
  const [load, setLoad] = useState<Load>({ state: "idle" });
  const pending = useRef<AbortController | null>(null);

  // Another subject (a reused row): forget the answer and any request still running.
  useEffect(() => {
    setLoad({ state: "idle" });
    setOpened(false);
    return () => pending.current?.abort();
  }, [path]);

  const ask = () => {
    pending.current?.abort();
    const abort = pending.current = new AbortController();
    setLoad({ state: "asking" });
    let text = "";
    streamInsight(path, {
      signal: abort.signal,
      onDelta: (piece) => {
        if (abort.signal.aborted) return;
        text += piece;
        setLoad({ state: "streaming", text });
      },
    })
      .then((insight) => {
        if (!abort.signal.aborted) setLoad({ state: "done", insight });
      })
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
          size={size}
          variant="light"
          color="violet"
          onClick={toggle}
          // Mantine closes on Escape only from inside the dropdown; focus stays on this button.
          onKeyDown={(event: KeyboardEvent) => {
            if (event.key === "Escape" && opened) setOpened(false);
          }}
          aria-expanded={opened}
          data-insight-button={subject}
        >
          {label}
        </Button>
      </Popover.Target>
      <Popover.Dropdown data-insight={subject} data-state={load.state}>
        <Group justify="space-between" mb="xs" gap="xs">
          <Text size="sm" fw={650}>AI insight</Text>
          {load.state === "done" && (
            <Badge variant="light" color="gray" tt="none" data-insight-model>
              {load.insight.model}
            </Badge>
          )}
        </Group>
        {(load.state === "asking" || load.state === "idle") && (
          <Group gap="xs" py="xs">
            <Loader size="sm" />
            <Text size="sm" c="dimmed">{`Asking the model about this ${subject}…`}</Text>
          </Group>
        )}
        {load.state === "error" && (
          <Alert
            color={load.status === 503 ? "yellow" : "red"}
            title={failureTitle(load.status, subject)}
            data-insight-error
          >
            <Text size="sm">{load.message}</Text>
            {load.status !== 503 && load.status !== 404 && (
              <Button size="compact-xs" variant="subtle" mt="xs" onClick={ask}>
                Try again
              </Button>
            )}
          </Alert>
        )}
        {(load.state === "done" || load.state === "streaming") && (
          <ScrollArea.Autosize mah={360} type="auto">
            <Text size="sm" style={{ whiteSpace: "pre-wrap" }} data-insight-text aria-live="polite">
              {load.state === "done" ? load.insight.insight : load.text}
            </Text>
            {load.state === "streaming" && (
              <Loader size="xs" type="dots" mt={4} aria-label="Writing" />
            )}
          </ScrollArea.Autosize>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}
