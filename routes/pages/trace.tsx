/**
 * `GET /traces/{trace_id}`: one trace's waterfall, rendered from the same `traceStructure` as
 * `GET /api/traces/{trace_id}/structure` (ids, parents, names, services, times, status and kind:
 * no attributes, events or links) and kept by the TraceView island; `?span=<span_id>` opens a
 * span. The header above it (root span, figures, links) does not change once served: the server
 * renders it outside the island (components/trace/TraceHeader.tsx), from the same structure.
 *
 * A trace of more spans than TRACE_PAGE_INLINE_SPANS (`DEFAULT_TRACE_PAGE_INLINE_SPANS`) is
 * served without its structure in the island's props: 80,000 spans made 5.4 MB of HTML to
 * compress, send, parse and hydrate before the first row showed (2.7 s). The server still renders
 * the header and the waterfall's first screen from the structure it read (`ServerTrace`), which
 * the browser shows as is, and the page preloads the structure, which the island fetches while its
 * JavaScript loads and then draws the same waterfall from, interactive (docs/benchmarks.md, "Huge
 * traces").
 *
 * The island gets the structure as props, and every span's full fields only up to
 * `INLINE_DETAILS_MAX_SPANS` (read with `traceById`): past that, props would grow by about a
 * kilobyte a span, so the island fetches a span's details
 * (`GET /api/traces/{trace_id}/spans/{span_id}`) when it is opened.
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
import TraceInsight from "../../islands/TraceInsight.tsx";
import { CompareForm } from "../../components/trace/CompareForm.tsx";
import { WATERFALL_CSS } from "../../components/trace/trace_styles.ts";
import { traceSummary, waterfallModel } from "../../utils/waterfall.ts";
import { BadRequestError, NotFoundError } from "../http_error.ts";
import { readTraceStructure, traceById } from "../traces.ts";
import { ServerTrace, traceStructurePath } from "../../components/trace/use_trace_structure.ts";
import type { PageDef } from "./mod.ts";

/** Largest trace whose span details travel with the page. */
export const INLINE_DETAILS_MAX_SPANS = 500;
/** TRACE_PAGE_INLINE_SPANS by default: the largest trace whose structure travels with the page. */
export const DEFAULT_TRACE_PAGE_INLINE_SPANS = 5_000;

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

/** The "not found" page for an unknown or malformed trace id; other errors are thrown on. */
function notFoundPage(traceId: string, e: unknown) {
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

/** The breadcrumbs and the compare form above a trace. */
function TraceTop({ traceId }: { traceId: string }) {
  return (
    <Group justify="space-between">
      <Breadcrumbs>
        <Anchor href="/traces" size="sm">Traces</Anchor>
        <Text size="sm" c="dimmed" className="argus-mono">{traceId}</Text>
      </Breadcrumbs>
      <CompareForm a={traceId} />
    </Group>
  );
}

export const tracePage: PageDef = {
  path: "/traces/{trace_id}",
  active: "/traces",
  async render(deps, url, segments) {
    const traceId = segments.trace_id ?? "";
    const selected = url.searchParams.get("span");
    let compact: Awaited<ReturnType<typeof readTraceStructure>>;
    try {
      compact = await readTraceStructure(traceId, deps.store);
    } catch (e) {
      return notFoundPage(traceId, e);
    }
    const spans = compact.span_id.length;
    const inline = spans <= (deps.tracePageInlineSpans ?? DEFAULT_TRACE_PAGE_INLINE_SPANS);
    // A huge trace is laid out once, for its header and its first screen of rows, and its read is
    // kept for the browser's request for it (the preload below).
    const model = inline ? null : waterfallModel(compact);
    const snapshot = inline ? null : deps.traceSnapshots?.keep(compact) ?? null;
    // A small trace's details come with it; the structure is in start order, as these spans are.
    // Spans arriving between the two reads are left for a reload: the details then go unused.
    const inlineDetails = spans <= INLINE_DETAILS_MAX_SPANS
      ? await traceById(compact.trace_id, deps.store).then(
        (trace) => trace.spans,
        (e) => {
          // Purged between the two reads: the island fetches details per span instead.
          if (e instanceof NotFoundError) return null;
          throw e;
        },
      )
      : null;
    const details: SpanDetail[] | null = inlineDetails?.length === spans &&
        inlineDetails.every((span, i) => span.span_id === compact.span_id[i])
      ? inlineDetails
      : null;
    const root = Math.max(0, compact.parent.indexOf(-1));
    const rootName = compact.names[compact.name[root]!]!;
    const rootService = compact.services[compact.service[root]!]!;
    return {
      title: `${rootService}: ${rootName} · Trace`,
      body: (
        <Stack gap="md">
          <TraceTop traceId={compact.trace_id} />
          {/* The page's stylesheet (the header's and the island's): sent once, not in JavaScript. */}
          <style dangerouslySetInnerHTML={{ __html: WATERFALL_CSS }} />
          <TraceHeader
            summary={traceSummary(compact, model?.tree)}
            actions={deps.insight && (
              <Island
                name="TraceInsight"
                component={TraceInsight}
                props={{ traceId: compact.trace_id }}
              />
            )}
          />
          {!inline && (
            // Fetched while the JavaScript loads; the island's fetch of the same URL takes it.
            <link
              rel="preload"
              href={traceStructurePath(compact.trace_id, snapshot)}
              as="fetch"
              crossorigin="anonymous"
            />
          )}
          <ServerTrace.Provider value={model}>
            <Island
              name="TraceView"
              component={TraceView}
              props={{
                traceId: compact.trace_id,
                trace: inline ? compact : null,
                spanCount: spans,
                snapshot,
                details,
                selected,
              }}
            />
          </ServerTrace.Provider>
        </Stack>
      ),
    };
  },
};
