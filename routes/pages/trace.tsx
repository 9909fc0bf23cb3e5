/**
 * `GET /traces/{trace_id}`: one trace's waterfall, rendered from the same `traceStructure` as
 * `GET /api/traces/{trace_id}/structure` (ids, parents, names, services, times, status and kind:
 * no attributes, events or links) and kept by the TraceView island; `?span=<span_id>` opens a
 * span. The header above it (root span, figures, links) does not change once served: the server
 * renders it outside the island (components/trace/TraceHeader.tsx), from the same structure.
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
import { CompareForm } from "../../components/trace/CompareForm.tsx";
import { WATERFALL_CSS } from "../../components/trace/trace_styles.ts";
import { traceSummary } from "../../utils/waterfall.ts";
import { BadRequestError, NotFoundError } from "../http_error.ts";
import { traceById, traceStructure } from "../traces.ts";
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
    let compact: Awaited<ReturnType<typeof traceStructure>>;
    try {
      compact = await traceStructure(traceId, deps.store);
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
    // A small trace's details come with it; the structure is in start order, as these spans are.
    // Spans arriving between the two reads are left for a reload: the details then go unused.
    const inline = compact.span_id.length <= INLINE_DETAILS_MAX_SPANS
      ? await traceById(compact.trace_id, deps.store).then(
        (trace) => trace.spans,
        (e) => {
          // Purged between the two reads: the island fetches details per span instead.
          if (e instanceof NotFoundError) return null;
          throw e;
        },
      )
      : null;
    const details: SpanDetail[] | null = inline?.length === compact.span_id.length &&
        inline.every((span, i) => span.span_id === compact.span_id[i])
      ? inline
      : null;
    const root = Math.max(0, compact.parent_id.indexOf(""));
    const rootName = compact.names[compact.name[root]!]!;
    const rootService = compact.services[compact.service[root]!]!;
    return {
      title: `${rootService}: ${rootName} · Trace`,
      body: (
        <Stack gap="md">
          <Group justify="space-between">
            <Breadcrumbs>
              <Anchor href="/traces" size="sm">Traces</Anchor>
              <Text size="sm" c="dimmed" className="argus-mono">{compact.trace_id}</Text>
            </Breadcrumbs>
            <CompareForm a={compact.trace_id} />
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
