/**
 * The span drill-down beside the waterfall: status, kind, timing, ids, attributes, events (times
 * from the span's start), links to other traces, resource and scope, and links to the span's
 * logs. Renders a span of `GET /api/traces/{trace_id}` as served.
 *
 * @module
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  CloseButton,
  Group,
  Loader,
  Stack,
  Text,
} from "@mantine/core";
import type { ComponentChildren } from "preact";
import { formatDuration, formatInstant } from "../../utils/format.ts";
import type { Json, WireSpan } from "../../utils/wire.ts";
import { formatOffset } from "../../utils/waterfall.ts";

/** A span of `GET /api/traces/{trace_id}`, as the panel shows it. */
export type SpanDetail = WireSpan;

/** `/logs` for a trace (and a span), over the trace's time with a minute either side. */
export function logsHref(
  traceId: string,
  window: { startMs: number; endMs: number },
  spanId?: string,
): string {
  const params = new URLSearchParams({ trace_id: traceId });
  if (spanId) params.set("span_id", spanId);
  params.set("start", String(Math.floor(window.startMs) - 60_000));
  params.set("end", String(Math.ceil(window.endMs) + 60_000));
  return `/logs?${params}`;
}

/** A dotted key with break opportunities after its dots: `http.request.` / `body.size`. */
function breakable(key: string) {
  const parts = key.split(".");
  return parts.map((part, i) => i < parts.length - 1 ? [part, ".", <wbr key={i} />] : part);
}

function show(value: Json): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Section(
  { title, count, children }: { title: string; count?: number; children: ComponentChildren },
) {
  return (
    <Stack gap={6} data-section={title}>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {title}
        {count !== undefined && <span style={{ fontWeight: 500 }}>{` · ${count}`}</span>}
      </Text>
      {children}
    </Stack>
  );
}

function KeyValues(
  { values, dropped = 0, empty = "None" }: {
    values: Record<string, Json>;
    dropped?: number;
    empty?: string;
  },
) {
  const keys = Object.keys(values).sort();
  return (
    <>
      {keys.length === 0
        ? <Text size="xs" c="dimmed">{empty}</Text>
        : (
          <dl className="argus-wf-kv" style={{ margin: 0 }}>
            {keys.map((key) => [
              <dt key={`k${key}`} title={key}>{breakable(key)}</dt>,
              <dd key={`v${key}`} data-attr-key={key}>{show(values[key]!)}</dd>,
            ])}
          </dl>
        )}
      {dropped > 0 && <Text size="xs" c="orange">{dropped} dropped by the sender</Text>}
    </>
  );
}

/** How far a span reaches outside its parent's time, in ns (0 when it does not on that side). */
export interface OutsideParent {
  /** How long before its parent's start it starts. */
  beforeNs: number;
  /** How long after its parent's end it ends. */
  afterNs: number;
}

/** Where a span lies outside its parent's time, or null when it lies inside (times in ns). */
export function outsideParent(
  span: { startNs: number; durationNs: number },
  parent: { startNs: number; durationNs: number },
): OutsideParent | null {
  const beforeNs = Math.max(0, parent.startNs - span.startNs);
  const afterNs = Math.max(0, span.startNs + span.durationNs - parent.startNs - parent.durationNs);
  return beforeNs > 0 || afterNs > 0 ? { beforeNs, afterNs } : null;
}

/**
 * The clock-skew warning (⚠ on the span's row) explained: what lies outside the parent, the
 * likely causes, and what Argus did about it (nothing to the bars; the critical path clips).
 */
function OutsideParentNote({ outside }: { outside: OutsideParent }) {
  const amount = (ns: number) => formatDuration(ns / 1e6);
  const where = [
    outside.beforeNs > 0 ? `starts ${amount(outside.beforeNs)} before its parent` : "",
    outside.afterNs > 0 ? `ends ${amount(outside.afterNs)} after it` : "",
  ].filter((part) => part !== "").join(" and ");
  return (
    <Alert
      color="orange"
      variant="light"
      p="xs"
      title="⚠ Outside its parent's time"
      data-skew-note
    >
      <Text size="xs">
        {`This span ${where}. Either the two services' clocks disagree (clock skew between ` +
          `hosts), or the span is asynchronous work that outlives its caller. Nothing was ` +
          `adjusted: its bar is drawn at the times its service reported; only the critical ` +
          `path counts it within its parent's time.`}
      </Text>
    </Alert>
  );
}

function statusColor(code: string): string {
  return code === "error" ? "red" : code === "ok" ? "teal" : "gray";
}

export interface SpanPanelProps {
  traceId: string;
  /** Fields known without details: from the waterfall's compact trace. */
  summary: {
    spanId: string;
    service: string;
    name: string;
    color: string;
    /** ns from the trace's start. */
    offsetNs: number;
    durationNs: number;
    status: string;
    kind: string;
    depth: number;
    childCount: number;
    /** Where it lies outside its parent's time (the ⚠ on its row), or null. */
    outsideParent?: OutsideParent | null;
  };
  detail: SpanDetail | undefined;
  /** The details are being fetched, or could not be. */
  loading: boolean;
  error: string | null;
  /** The trace's time, for the logs link's window. */
  window: { startMs: number; endMs: number };
  onClose(): void;
  /** Selects another span of this trace, e.g. the parent. */
  onSelect(spanId: string): void;
  /** Whether a span id is in this trace. */
  inTrace(spanId: string): boolean;
}

export function SpanPanel(
  { traceId, summary, detail, loading, error, window, onClose, onSelect, inTrace }: SpanPanelProps,
) {
  const spanStartNs = detail ? BigInt(detail.start_time_unix_nano) : 0n;
  return (
    <Stack gap="md" p="md" data-span-panel={summary.spanId}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Group gap={6} wrap="nowrap">
            <span className="argus-wf-swatch" style={{ background: summary.color }} />
            <Text size="sm" fw={600} data-panel-service>{summary.service}</Text>
          </Group>
          <Text fw={700} size="lg" style={{ overflowWrap: "anywhere" }} data-panel-name>
            {summary.name}
          </Text>
        </Stack>
        <CloseButton aria-label="Close span details" onClick={onClose} />
      </Group>
      <Group gap={6}>
        <Badge color={statusColor(summary.status)} variant="light" data-panel-status>
          {summary.status === "unset" ? "status unset" : summary.status}
        </Badge>
        <Badge color="gray" variant="light">{summary.kind}</Badge>
        <Badge color="indigo" variant="light">{formatDuration(summary.durationNs / 1e6)}</Badge>
      </Group>
      <Text size="xs" c="dimmed">
        {`Starts ${
          formatOffset(summary.offsetNs, Math.max(1, summary.offsetNs / 1000))
        } into the trace · depth ${summary.depth} · ${summary.childCount} ${
          summary.childCount === 1 ? "child" : "children"
        }`}
      </Text>
      {summary.outsideParent && <OutsideParentNote outside={summary.outsideParent} />}
      {detail?.status_message && (
        <Text
          size="sm"
          c={detail.status_code === "error" ? "red" : undefined}
          data-status-message
        >
          {detail.status_message}
        </Text>
      )}
      <Group gap="xs">
        <Button
          component="a"
          href={logsHref(traceId, window, summary.spanId)}
          size="xs"
          variant="light"
          data-span-logs-link
        >
          Logs of this span
        </Button>
        {detail?.parent_span_id && inTrace(detail.parent_span_id) && (
          <Button
            size="xs"
            variant="default"
            onClick={() => onSelect(detail.parent_span_id)}
          >
            Parent span
          </Button>
        )}
      </Group>

      {error !== null && <Text size="sm" c="red">Cannot load the span's details: {error}</Text>}
      {loading && detail === undefined && (
        <Group gap="xs">
          <Loader size="xs" />
          <Text size="sm" c="dimmed">Loading details…</Text>
        </Group>
      )}
      {detail && (
        <>
          <Section title="Attributes" count={Object.keys(detail.attributes).length}>
            <KeyValues values={detail.attributes} dropped={detail.dropped_attributes_count} />
          </Section>
          <Section title="Events" count={detail.events.length}>
            {detail.events.length === 0 && <Text size="xs" c="dimmed">None</Text>}
            {detail.events.map((event, i) => {
              const offset = Number(BigInt(event.time_unix_nano) - spanStartNs);
              return (
                <Stack key={i} gap={4} data-event={event.name}>
                  <Group gap={8} wrap="nowrap">
                    <Text size="xs" className="argus-mono" c="dimmed" title={event.time}>
                      {offset < 0 ? "−" : "+"}
                      {formatOffset(Math.abs(offset), Math.max(1, Math.abs(offset) / 1000))}
                    </Text>
                    <Text
                      size="sm"
                      fw={600}
                      c={event.name === "exception" ? "red" : undefined}
                    >
                      {event.name}
                    </Text>
                  </Group>
                  {Object.keys(event.attributes).length > 0 && (
                    <KeyValues
                      values={event.attributes}
                      dropped={event.dropped_attributes_count}
                    />
                  )}
                </Stack>
              );
            })}
            {detail.dropped_events_count > 0 && (
              <Text size="xs" c="orange">{detail.dropped_events_count} dropped by the sender</Text>
            )}
          </Section>
          <Section title="Links" count={detail.links.length}>
            {detail.links.length === 0 && <Text size="xs" c="dimmed">None</Text>}
            {detail.links.map((link, i) => {
              const here = link.trace_id === traceId;
              return (
                <Stack key={i} gap={4} data-link={link.trace_id}>
                  {here && inTrace(link.span_id)
                    ? (
                      <Anchor component="button" size="sm" onClick={() => onSelect(link.span_id)}>
                        Span {link.span_id} of this trace
                      </Anchor>
                    )
                    : (
                      <Anchor
                        size="sm"
                        href={`/traces/${link.trace_id}?span=${link.span_id}`}
                        className="argus-mono"
                      >
                        {`${link.trace_id.slice(0, 16)}… / ${link.span_id}`}
                      </Anchor>
                    )}
                  {Object.keys(link.attributes).length > 0 && (
                    <KeyValues values={link.attributes} dropped={link.dropped_attributes_count} />
                  )}
                </Stack>
              );
            })}
          </Section>
          <Section title="Resource" count={Object.keys(detail.resource_attributes).length}>
            <KeyValues
              values={detail.resource_attributes}
              dropped={detail.resource.dropped_attributes_count}
            />
            {(detail.resource.schema_url || detail.resource.entity_refs.length > 0) && (
              <dl className="argus-wf-kv" style={{ margin: 0 }}>
                {detail.resource.schema_url && [
                  <dt key="s">schema url</dt>,
                  <dd key="sv">{detail.resource.schema_url}</dd>,
                ]}
                {detail.resource.entity_refs.flatMap((ref, i) => [
                  <dt key={`e${i}`}>{`entity ${ref.type}`}</dt>,
                  <dd key={`ev${i}`}>{ref.id_keys.join(", ")}</dd>,
                ])}
              </dl>
            )}
          </Section>
          <Section title="Span">
            <dl className="argus-wf-kv" style={{ margin: 0 }}>
              <dt>span id</dt>
              <dd data-panel-span-id>{detail.span_id}</dd>
              <dt>parent span id</dt>
              <dd>{detail.parent_span_id || "— (root)"}</dd>
              <dt>trace id</dt>
              <dd>{traceId}</dd>
              <dt>start</dt>
              <dd>{formatInstant(detail.start_time)}</dd>
              <dt>kind</dt>
              <dd>{detail.kind}</dd>
              <dt>status</dt>
              <dd>{detail.status_code}</dd>
              {detail.trace_state &&
                [<dt key="ts">trace state</dt>, <dd key="tsv">{detail.trace_state}</dd>]}
              <dt>flags</dt>
              <dd>{detail.flags}</dd>
            </dl>
          </Section>
          <Section title="Instrumentation scope">
            <dl className="argus-wf-kv" style={{ margin: 0 }}>
              <dt>name</dt>
              <dd>{detail.scope.name || "—"}</dd>
              <dt>version</dt>
              <dd>{detail.scope.version || "—"}</dd>
              {detail.scope.schema_url && [
                <dt key="s">schema url</dt>,
                <dd key="sv">{detail.scope.schema_url}</dd>,
              ]}
            </dl>
            {Object.keys(detail.scope.attributes).length > 0 && (
              <KeyValues
                values={detail.scope.attributes}
                dropped={detail.scope.dropped_attributes_count}
              />
            )}
          </Section>
        </>
      )}
    </Stack>
  );
}
