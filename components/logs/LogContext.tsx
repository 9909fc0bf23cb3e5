/**
 * The "±1 min context" dialog: a record among its service's records of the minute before and
 * the minute after it (`/api/logs/context`), in time order, the record itself highlighted and
 * scrolled into view.
 *
 * @module
 */
import { Alert, Anchor, Badge, Group, Loader, Modal, Stack, Text } from "@mantine/core";
import { memo } from "preact/compat";
import { useEffect, useRef, useState } from "preact/hooks";
import { severityColor, severityName } from "../theme.ts";
import { getJson } from "../../utils/api.ts";
import { formatClock, formatDateTime } from "../../utils/format.ts";
import { bodyText, type LogItem, traceHref } from "../../utils/log_query.ts";
import { errorMessage } from "../../utils/errors.ts";

interface LogContext {
  anchor: LogItem;
  before: LogItem[];
  after: LogItem[];
}

type Load =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "done"; context: LogContext };

function ContextRow({ item, anchor }: { item: LogItem; anchor?: boolean }) {
  const color = severityColor(item.severity_number);
  return (
    <div
      class="argus-ctx-row"
      data-context-row
      data-log-id={item.id}
      data-anchor={anchor ? "" : undefined}
      aria-current={anchor ? "true" : undefined}
    >
      <time class="argus-log-time" dateTime={item.timestamp} title={item.timestamp}>
        {formatClock(item.timestamp)}
      </time>
      <span class="argus-log-sev" data-color={color}>{severityName(item.severity_number)}</span>
      <span class="argus-log-body">{bodyText(item.body) || "(no body)"}</span>
    </div>
  );
}

export interface LogContextModalProps {
  /** The record to show in context; the dialog is closed while null. */
  anchor: LogItem | null;
  onClose(): void;
}

export const LogContextModal = memo(function LogContextModal(
  { anchor, onClose }: LogContextModalProps,
) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (load.state !== "done") return;
    list.current?.querySelector("[data-anchor]")?.scrollIntoView({ block: "center" });
  }, [load]);
  const id = anchor?.id;
  useEffect(() => {
    if (id === undefined) return;
    const abort = new AbortController();
    setLoad({ state: "loading" });
    getJson<LogContext>("/api/logs/context", { id, window: "1m" }, { signal: abort.signal })
      .then((context) => setLoad({ state: "done", context }))
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        setLoad({
          state: "error",
          message: errorMessage(error),
        });
      });
    return () => abort.abort();
  }, [id]);
  const href = anchor ? traceHref(anchor) : undefined;
  return (
    <Modal
      opened={anchor !== null}
      onClose={onClose}
      closeButtonProps={{ "aria-label": "Close" }}
      size={960}
      title={anchor
        ? (
          <Group gap="xs">
            <Text fw={650}>±1 minute around {formatClock(anchor.timestamp)}</Text>
            <Badge variant="light" color="indigo" tt="none">{anchor.service_name}</Badge>
          </Group>
        )
        : "Context"}
      data-log-context
    >
      {load.state === "loading" && (
        <Group gap="xs" py="md">
          <Loader size="sm" />
          <Text size="sm" c="dimmed">Loading the records around it…</Text>
        </Group>
      )}
      {load.state === "error" && (
        <Alert color="red" title="Cannot load the context">{load.message}</Alert>
      )}
      {load.state === "done" && (
        <Stack gap="xs">
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {anchor ? formatDateTime(anchor.timestamp) : ""} · {load.context.before.length}{" "}
              before, {load.context.after.length} after, from {load.context.anchor.service_name}
            </Text>
            {href && <Anchor size="sm" href={href}>Open its trace</Anchor>}
          </Group>
          <div class="argus-ctx-list" data-context-list ref={list}>
            {load.context.before.length === 0 && (
              <div class="argus-ctx-gap">Nothing in the minute before</div>
            )}
            {load.context.before.map((item) => <ContextRow key={item.id} item={item} />)}
            <ContextRow item={load.context.anchor} anchor />
            {load.context.after.map((item) => <ContextRow key={item.id} item={item} />)}
            {load.context.after.length === 0 && (
              <div class="argus-ctx-gap">Nothing in the minute after</div>
            )}
          </div>
        </Stack>
      )}
    </Modal>
  );
});
