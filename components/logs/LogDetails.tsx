/**
 * A log record's inline details: the whole body, its attributes, its resource's attributes, its
 * instrumentation scope and its ids, with the ways on from it (context, trace, the trace's logs).
 *
 * @module
 */
import { Button, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import type { ComponentChildren } from "preact";
import { lazy, Suspense } from "preact/compat";
import { severityName } from "../theme.ts";
import { Marked } from "./Marked.tsx";
import { type LogItem, traceHref, valueText } from "../../utils/log_query.ts";
import { formatInstant } from "../../utils/format.ts";

/** Loaded when a row is first opened with AI on: it stays out of the page's initial JavaScript. */
const InsightButton = lazy(() =>
  import("../InsightButton.tsx").then((module) => ({ default: module.InsightButton }))
);

function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <Stack gap={4}>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed" style={{ letterSpacing: "0.04em" }}>
        {title}
      </Text>
      {children}
    </Stack>
  );
}

/** A key–value table, sorted by key unless `ordered`; "none" when empty. */
function Pairs(
  { values, label, ordered }: { values: Record<string, unknown>; label: string; ordered?: boolean },
) {
  const keys = ordered ? Object.keys(values) : Object.keys(values).sort();
  if (keys.length === 0) return <Text size="xs" c="dimmed">none</Text>;
  return (
    <table class="argus-kv" aria-label={label}>
      <tbody>
        {keys.map((key) => (
          <tr key={key} data-attribute={key}>
            <th scope="row">{key}</th>
            <td>{valueText(values[key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface LogDetailsProps {
  item: LogItem;
  /** The search, whose matches are marked in the body. */
  search?: string;
  onContext(item: LogItem): void;
  /** Shows only this trace's records. */
  onTraceFilter(traceId: string): void;
  /** Whether Argus explains records with AI (AI_ENABLED): shows the "Explain" button. */
  aiEnabled?: boolean;
}

export function LogDetails(
  { item, search = "", onContext, onTraceFilter, aiEnabled }: LogDetailsProps,
) {
  const href = traceHref(item);
  const body = item.body === null
    ? "(no body)"
    : typeof item.body === "string"
    ? item.body
    : JSON.stringify(item.body, null, 2);
  const record: Record<string, unknown> = {
    id: item.id,
    // An SDK that sent no time: the record is listed at its observed time (or its arrival).
    time: item.time_unset
      ? `${formatInstant(item.timestamp)} (not sent: observed)`
      : formatInstant(item.timestamp),
    timestamp: item.time_unset ? "– (not sent)" : item.timestamp,
    observed_timestamp: item.observed_time_unix_nano === "0" ? "–" : item.observed_timestamp,
    severity: `${
      item.severity_text || severityName(item.severity_number)
    } (${item.severity_number})`,
    service_name: item.service_name,
    trace_id: item.trace_id || "–",
    span_id: item.span_id || "–",
    flags: item.flags,
  };
  if (item.event_name) record.event_name = item.event_name;
  if (item.dropped_attributes_count > 0) {
    record.dropped_attributes_count = item.dropped_attributes_count;
  }
  const scope: Record<string, unknown> = {
    name: item.scope.name || "–",
    version: item.scope.version || "–",
  };
  if (item.scope.schema_url) scope.schema_url = item.scope.schema_url;
  if (item.scope.dropped_attributes_count > 0) {
    scope.dropped_attributes_count = item.scope.dropped_attributes_count;
  }
  for (const [key, value] of Object.entries(item.scope.attributes)) {
    scope[`attribute ${key}`] = value;
  }
  // The resource's fields beside its attributes, when it has them.
  const resource: Record<string, unknown> = { ...item.resource_attributes };
  if (item.resource.schema_url) resource["(schema_url)"] = item.resource.schema_url;
  if (item.resource.dropped_attributes_count > 0) {
    resource["(dropped_attributes_count)"] = item.resource.dropped_attributes_count;
  }
  item.resource.entity_refs.forEach((ref, i) => {
    resource[`(entity ${i + 1})`] = `${ref.type}: ${ref.id_keys.join(", ")}`;
  });
  return (
    <Stack gap="sm" data-log-details>
      <pre class="argus-log-fullbody">
        {item.body === null ? body : <Marked text={body} search={search} />}
      </pre>
      <Group gap="xs">
        <Button size="compact-sm" variant="light" onClick={() => onContext(item)}>
          ±1 min context
        </Button>
        {aiEnabled && (
          <Suspense fallback={null}>
            <InsightButton
              path={`/api/logs/${encodeURIComponent(item.id)}/insight`}
              subject="record"
            />
          </Suspense>
        )}
        {href && (
          <Button size="compact-sm" variant="light" component="a" href={href}>
            Open trace
          </Button>
        )}
        {item.trace_id && (
          <Button
            size="compact-sm"
            variant="subtle"
            onClick={() => onTraceFilter(item.trace_id)}
          >
            Only this trace's logs
          </Button>
        )}
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg" verticalSpacing="sm">
        <Section title="Attributes">
          <Pairs values={item.attributes} label="Attributes" />
        </Section>
        <Section title="Resource attributes">
          <Pairs values={resource} label="Resource attributes" />
        </Section>
        <Section title="Record">
          <Pairs values={record} label="Record" ordered />
        </Section>
        <Section title="Instrumentation scope">
          <Pairs values={scope} label="Instrumentation scope" ordered />
        </Section>
      </SimpleGrid>
    </Stack>
  );
}
