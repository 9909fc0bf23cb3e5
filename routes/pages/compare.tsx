/**
 * `GET /traces/compare?a=<trace id>&b=<trace id>`: two traces side by side, as Jaeger's comparison
 * shows them. Spans are matched by their place in the tree (utils/trace_compare.ts): each row is
 * in both traces, with B's duration against A's, or in one only, marked. Rendered on the server
 * (no island: nothing on it changes), from the same `traceById` as `GET /api/traces/{trace_id}`.
 * Without both ids, or with one that is unknown, it says which and asks again.
 *
 * @module
 */
import {
  Anchor,
  Badge,
  Breadcrumbs,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import { CompareForm } from "../../components/trace/CompareForm.tsx";
import { serviceColor } from "../../utils/chart_style.ts";
import { formatCount, formatDateTime, formatDuration, formatZone } from "../../utils/format.ts";
import { type CompareRow, compareTraces } from "../../utils/trace_compare.ts";
import type { WireTrace } from "../../utils/wire.ts";
import { BadRequestError, NotFoundError } from "../http_error.ts";
import { parseTraceLookup } from "../query_params.ts";
import { traceById } from "../traces.ts";
import type { PageDef, PageDeps } from "./mod.ts";

/** A side's trace, or why there is none. */
type Side = { trace: WireTrace } | { problem: string; id: string };

async function load(deps: PageDeps, name: "a" | "b", text: string | null): Promise<Side> {
  if (text === null || text.trim() === "") {
    return { problem: `Give trace ${name.toUpperCase()}'s id`, id: "" };
  }
  let id: string;
  try {
    id = parseTraceLookup(name, text);
  } catch (e) {
    if (!(e instanceof BadRequestError)) throw e;
    return { problem: e.message, id: text };
  }
  try {
    return { trace: await traceById(id, deps.store) };
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    return { problem: `No span of trace ${name.toUpperCase()} (${id}) is stored`, id };
  }
}

function TraceCard({ label, trace }: { label: string; trace: WireTrace }) {
  const root = trace.spans.find((s) => s.parent_span_id === "") ?? trace.spans[0]!;
  const startNs = trace.spans.reduce(
    (m, s) => (BigInt(s.start_time_unix_nano) < m ? BigInt(s.start_time_unix_nano) : m),
    BigInt(root.start_time_unix_nano),
  );
  const endNs = trace.spans.reduce(
    (m, s) => (BigInt(s.end_time_unix_nano) > m ? BigInt(s.end_time_unix_nano) : m),
    BigInt(root.end_time_unix_nano),
  );
  const errors = trace.spans.filter((s) => s.status_code === "error").length;
  return (
    <Card withBorder padding="md" data-compare-trace={label} data-trace-id={trace.trace_id}>
      <Stack gap={4}>
        <Group gap="xs">
          <Badge variant="filled" color={label === "A" ? "blue" : "grape"}>{label}</Badge>
          <span className="argus-cmp-dot" style={{ background: serviceColor(root.service_name) }} />
          <Text fw={600}>{root.service_name}</Text>
          <Text>{root.name}</Text>
        </Group>
        <Anchor href={`/traces/${trace.trace_id}`} size="xs" className="argus-mono">
          {trace.trace_id}
        </Anchor>
        <Text size="sm" c="dimmed">
          {`${formatDateTime(new Date(Number(startNs / 1_000_000n)).toISOString())} ${
            formatZone(Number(startNs / 1_000_000n))
          } · ${formatDuration(Number(endNs - startNs) / 1e6)} · ${
            formatCount(trace.spans.length)
          } spans · ${formatCount(errors)} errors`}
        </Text>
      </Stack>
    </Card>
  );
}

const MATCH_WORDS = { both: "", only_a: "only in A", only_b: "only in B" } as const;

function duration(side: CompareRow["a"]) {
  if (side === undefined) return <span className="argus-cmp-none">—</span>;
  return (
    <span data-error={side.error ? "" : undefined}>
      {formatDuration(side.durationMs)}
      {side.error && <span className="argus-cmp-err" title="Status ERROR">&nbsp;● error</span>}
    </span>
  );
}

function delta(row: CompareRow) {
  if (row.deltaMs === undefined) return "";
  if (row.deltaMs === 0) return <span className="argus-cmp-same">±0</span>;
  const slower = row.deltaMs > 0;
  const base = row.a!.durationMs;
  const percent = base > 0
    ? ` (${slower ? "+" : "−"}${Math.round(Math.abs(row.deltaMs) / base * 100)}%)`
    : "";
  return (
    <span className={slower ? "argus-cmp-slower" : "argus-cmp-faster"}>
      {`${slower ? "+" : "−"}${formatDuration(Math.abs(row.deltaMs))}${percent}`}
    </span>
  );
}

/** The page's stylesheet: rows marked by match, indentation by depth, deltas by direction. */
const COMPARE_CSS = `.argus-cmp-table{width:100%;border-collapse:collapse;font-size:14px}
.argus-cmp-table th,.argus-cmp-table td{padding:4px 10px;border-bottom:1px solid var(--mantine-color-default-border);text-align:right;white-space:nowrap}
.argus-cmp-table th:first-child,.argus-cmp-table td:first-child{text-align:left;white-space:normal}
.argus-cmp-table tr[data-match=only_a]{background:color-mix(in srgb,var(--mantine-color-blue-filled) 12%,transparent)}
.argus-cmp-table tr[data-match=only_b]{background:color-mix(in srgb,var(--mantine-color-grape-filled) 12%,transparent)}
.argus-cmp-dot{width:10px;height:10px;border-radius:5px;display:inline-block;flex:none}
.argus-cmp-op{display:flex;gap:6px;align-items:center}
.argus-cmp-tag{font-size:12px;font-weight:600;border-radius:4px;padding:0 6px;border:1px solid currentColor}
.argus-cmp-slower,.argus-cmp-err{color:var(--mantine-color-red-text)}
.argus-cmp-faster{color:var(--mantine-color-green-text)}
.argus-cmp-none,.argus-cmp-same{color:var(--mantine-color-dimmed)}`;

function CompareTable({ rows }: { rows: CompareRow[] }) {
  return (
    <div style={{ overflowX: "auto" }}>
      <table className="argus-cmp-table" data-compare-table>
        <thead>
          <tr>
            <th>Service &amp; operation</th>
            <th>A</th>
            <th>B</th>
            <th>B − A</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={row.key}
              data-match={row.match}
              data-service={row.service}
              data-operation={row.operation}
              data-delta-ms={row.deltaMs}
            >
              <td>
                <div
                  className="argus-cmp-op"
                  style={{ paddingLeft: `${Math.min(row.depth, 40) * 16}px` }}
                >
                  <span
                    className="argus-cmp-dot"
                    style={{ background: serviceColor(row.service) }}
                  />
                  <b>{row.service}</b>
                  <span>{row.operation}</span>
                  {row.match !== "both" && (
                    <span className="argus-cmp-tag">{MATCH_WORDS[row.match]}</span>
                  )}
                </div>
              </td>
              <td>{duration(row.a)}</td>
              <td>{duration(row.b)}</td>
              <td>{delta(row)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export const comparePage: PageDef = {
  path: "/traces/compare",
  active: "/traces",
  async render(deps, url) {
    const aText = url.searchParams.get("a");
    const bText = url.searchParams.get("b");
    const [a, b] = await Promise.all([load(deps, "a", aText), load(deps, "b", bText)]);
    const crumbs = (
      <Breadcrumbs>
        <Anchor href="/traces" size="sm">Traces</Anchor>
        <Text size="sm" c="dimmed">Compare</Text>
      </Breadcrumbs>
    );
    if (!("trace" in a) || !("trace" in b)) {
      const problems = [a, b].flatMap((side) =>
        "problem" in side && side.id !== "" ? [side.problem] : []
      );
      const asked = aText !== null || bText !== null;
      return {
        title: "Compare traces",
        status: problems.some((p) => p.startsWith("No span"))
          ? 404
          : problems.length > 0
          ? 400
          : 200,
        body: (
          <Stack gap="md">
            {crumbs}
            <Title order={2}>Compare two traces</Title>
            <Text size="sm" c="dimmed">
              Spans are matched by their place in the tree: the path of service and operation from
              the root, repeats counted. Tick two traces in the trace list, or give their ids.
            </Text>
            {asked &&
              problems.map((p) => <Text key={p} size="sm" c="red" data-compare-problem>{p}</Text>)}
            <Card withBorder padding="md">
              <CompareForm
                a={"trace" in a ? a.trace.trace_id : undefined}
                b={"trace" in b ? b.trace.trace_id : bText ?? undefined}
              />
            </Card>
          </Stack>
        ),
      };
    }
    const result = compareTraces(a.trace.spans, b.trace.spans);
    return {
      title: "Compare traces",
      body: (
        <Stack gap="md" data-compare>
          <style dangerouslySetInnerHTML={{ __html: COMPARE_CSS }} />
          {crumbs}
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <TraceCard label="A" trace={a.trace} />
            <TraceCard label="B" trace={b.trace} />
          </SimpleGrid>
          <Group gap="lg" data-compare-summary>
            <Text size="sm" data-count-both={result.both}>
              {`${formatCount(result.both)} in both`}
            </Text>
            <Text size="sm" data-count-only-a={result.onlyA}>
              {`${formatCount(result.onlyA)} only in A`}
            </Text>
            <Text size="sm" data-count-only-b={result.onlyB}>
              {`${formatCount(result.onlyB)} only in B`}
            </Text>
            <Anchor
              size="sm"
              href={`/traces/compare?a=${b.trace.trace_id}&b=${a.trace.trace_id}`}
              data-compare-swap
            >
              Swap A and B
            </Anchor>
          </Group>
          <Card withBorder padding={0}>
            <CompareTable rows={result.rows} />
          </Card>
        </Stack>
      ),
    };
  },
};
