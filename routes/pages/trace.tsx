/**
 * `GET /traces/{trace_id}`: one trace's waterfall, rendered from the same `traceById` as
 * `GET /api/traces/{trace_id}` and kept by the TraceView island; `?span=<span_id>` opens a span.
 * The header above it (root span, figures, links) does not change once served: the server renders
 * it outside the island (components/trace/TraceHeader.tsx), from the same compact trace.
 *
 * The island gets the trace in its compact form (utils/waterfall.ts), and every span's full
 * fields only up to `INLINE_DETAILS_MAX_SPANS`: past that, props would grow by about a kilobyte a
 * span, so the island fetches the details when a span is first opened.
 *
 * An unknown trace id, or one that is not 32 hex characters, renders a "not found" page in the
 * shell rather than the API's JSON.
 *
 * @module
 */
import { Anchor, Breadcrumbs, Button, Card, Code, Group, Stack, Text, Title } from "@mantine/core";
import { Island } from "../../components/Island.tsx";
import TraceView from "../../islands/TraceView.tsx";
import type { SpanDetail } from "../../components/trace/SpanPanel.tsx";
import { TraceHeader } from "../../components/trace/TraceHeader.tsx";
import { CompareForm } from "../../components/trace/CompareForm.tsx";
import { WATERFALL_CSS } from "../../components/trace/trace_styles.ts";
import { compactTrace, traceSummary } from "../../utils/waterfall.ts";
import { BadRequestError, NotFoundError } from "../http_error.ts";
import { traceById } from "../traces.ts";
import type { PageDef } from "./mod.ts";

/** Largest trace whose span details travel with the page. */
export const INLINE_DETAILS_MAX_SPANS = 500;

function NotFound({ traceId, reason }: { traceId: string; reason: string }) {
  return (
    <Card withBorder padding="xl" data-trace-not-found>
      <Stack gap="sm" align="flex-start">
        <Title order={3}>Trace not found</Title>
        <Text size="sm">{reason}</Text>
        <Code>{traceId}</Code>
        <Text size="sm" c="dimmed">
          Spans arrive as each service exports them, and old data is purged after the retention
          period: a trace may show up a few seconds after it ends, or may be gone.
        </Text>
        <Button component="a" href="/traces" variant="light">Back to traces</Button>
      </Stack>
    </Card>
  );
}

export const tracePage: PageDef = {
  path: "/traces/{trace_id}",
  active: "/traces",
  async render(deps, url, segments) {
    const traceId = segments.trace_id ?? "";
    let trace: Awaited<ReturnType<typeof traceById>>;
    try {
      trace = await traceById(traceId, deps.store);
    } catch (e) {
      if (!(e instanceof NotFoundError) && !(e instanceof BadRequestError)) throw e;
      return {
        title: "Trace not found",
        status: e instanceof NotFoundError ? 404 : 400,
        body: (
          <Stack gap="md">
            <Breadcrumbs>
              <Anchor href="/traces" size="sm">Traces</Anchor>
              <Text size="sm" c="dimmed">Not found</Text>
            </Breadcrumbs>
            <NotFound
              traceId={traceId}
              reason={e instanceof NotFoundError
                ? "No span of this trace is stored."
                : "A trace id is 32 hexadecimal characters."}
            />
          </Stack>
        ),
      };
    }
    const compact = compactTrace(trace.trace_id, trace.spans);
    const details: SpanDetail[] | null = trace.spans.length <= INLINE_DETAILS_MAX_SPANS
      ? trace.spans
      : null;
    const root = trace.spans.find((span) => span.parent_span_id === "") ?? trace.spans[0]!;
    return {
      title: `${root.service_name}: ${root.name} · Trace`,
      body: (
        <Stack gap="md">
          <Group justify="space-between">
            <Breadcrumbs>
              <Anchor href="/traces" size="sm">Traces</Anchor>
              <Text size="sm" c="dimmed" className="argus-mono">{trace.trace_id}</Text>
            </Breadcrumbs>
            <CompareForm a={trace.trace_id} />
          </Group>
          {/* The page's stylesheet (the header's and the island's): sent once, not in JavaScript. */}
          <style dangerouslySetInnerHTML={{ __html: WATERFALL_CSS }} />
          <TraceHeader summary={traceSummary(compact)} />
          <Island
            name="TraceView"
            component={TraceView}
            props={{ trace: compact, details, selected: url.searchParams.get("span") }}
          />
        </Stack>
      ),
    };
  },
};
