/**
 * `GET /traces`: the trace explorer's list, rendered with its first page of traces (the same
 * `listTraces` as `GET /api/traces`, with the URL's query), then kept by the TraceList island.
 * A query the API refuses (say `min_duration_ms=abc`) renders the page with the API's sentence,
 * so that the filters can be fixed in place.
 *
 * @module
 */
import { Group, Stack, Text, Title } from "@mantine/core";
import { Island } from "../../components/Island.tsx";
import { TRACE_LIST_CSS } from "../../components/trace/trace_styles.ts";
import TraceList, { type TraceListPage } from "../../islands/TraceList.tsx";
import { parseTraceQuery, traceQueryString, traceWindowSearch } from "../../utils/trace_query.ts";
import { services } from "../metadata.ts";
import { BadRequestError } from "../http_error.ts";
import { listTraces } from "../traces.ts";
import type { PageDef } from "./mod.ts";

export const tracesPage: PageDef = {
  path: "/traces",
  active: "/traces",
  async render(deps, url) {
    const query = parseTraceQuery(url.searchParams);
    const params = new URLSearchParams(traceQueryString(query));
    const loadedAt = deps.now();
    let initial: TraceListPage | null = null;
    let error: string | null = null;
    try {
      initial = await listTraces(params, deps);
    } catch (e) {
      if (!(e instanceof BadRequestError)) throw e;
      error = e.message;
    }
    // The service filter's choices: the window's services, as the island loads them later.
    let serviceNames: string[] = [];
    try {
      serviceNames = (await services(new URLSearchParams(traceWindowSearch(query)), deps)).services;
    } catch (e) {
      if (!(e instanceof BadRequestError)) throw e;
    }
    return {
      title: "Traces",
      body: (
        <Stack gap="md">
          <Group justify="space-between" align="baseline">
            <Title order={2}>Traces</Title>
            <Text size="sm" c="dimmed">
              Click a trace for its waterfall, its spans' details and its logs
            </Text>
          </Group>
          {/* The page's stylesheet, beside the island: sent once, and not in its JavaScript. */}
          <style dangerouslySetInnerHTML={{ __html: TRACE_LIST_CSS }} />
          <Island
            name="TraceList"
            component={TraceList}
            props={{ query, initial, error, services: serviceNames, loadedAt }}
          />
        </Stack>
      ),
    };
  },
};
