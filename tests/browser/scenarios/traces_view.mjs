// The waterfall of a trace: rows in tree order with their depth, collapsing and expanding,
// keyboard navigation, the span panel (attributes, status, events, links), the logs links,
// `?span=` preselection, links between traces, and zooming on the ruler.
// options: { chain: a call chain's trace id, showcase: { traceId, spans, count, consumerTraceId } }
import assert from "node:assert/strict";
import { saveScreenshots } from "../screenshots.mjs";

const ROWS = "[data-waterfall] [role='treeitem']";

async function rows(page) {
  return await page.$$eval(ROWS, (items) =>
    items
      .map((row) => ({
        id: row.dataset.spanId,
        parent: row.dataset.parentSpanId ?? "",
        depth: Number(row.dataset.depth),
        top: parseFloat(row.style.top),
      }))
      .sort((a, b) => a.top - b.top));
}

async function rowsWhen(page, check, what) {
  const deadline = Date.now() + 10_000;
  let list = [];
  while (Date.now() < deadline) {
    list = await rows(page);
    if (check(list)) return list;
    await page.waitForTimeout(30);
  }
  throw new Error(`The waterfall never showed ${what}: ${JSON.stringify(list)}`);
}

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  const { showcase } = options;

  // A call chain: five spans, each the child of the one above.
  await visit(page, `/traces/${options.chain}`);
  let list = await rows(page);
  assert.equal(await page.getAttribute("[data-waterfall]", "data-span-count"), "5");
  assert.deepEqual(list.map((r) => r.depth), [0, 1, 2, 3, 4]);
  list.forEach((row, i) => assert.equal(row.parent, i === 0 ? "" : list[i - 1].id));
  assert.equal(await page.$$eval(`${ROWS}[aria-level]`, (r) => r.length), 5);
  assert.equal(await page.textContent("[data-figure='Spans']"), "5");

  // Collapsing the depth-1 span hides its three descendants; expanding shows them again.
  await page.click(`[data-span-id='${list[1].id}'] [data-toggle]`);
  list = await rowsWhen(page, (r) => r.length === 2, "two rows");
  assert.equal(await page.getAttribute(`[data-span-id='${list[1].id}']`, "aria-expanded"), "false");
  assert.equal(await page.textContent(`[data-span-id='${list[1].id}'] [data-hidden-count]`), "+3");
  assert.equal(await page.$("[data-span-panel]"), null, "a toggle opens no panel");
  await page.click(`[data-span-id='${list[1].id}'] [data-toggle]`);
  list = await rowsWhen(page, (r) => r.length === 5, "five rows");

  // Keyboard: rows take focus; arrows move, Left collapses, Right expands, Enter opens, Escape closes.
  await page.focus(`[data-span-id='${list[0].id}']`);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.spanId), list[2].id);
  await page.keyboard.press("ArrowLeft");
  await rowsWhen(page, (r) => r.length === 3, "three rows after ArrowLeft");
  await page.keyboard.press("ArrowRight");
  await rowsWhen(page, (r) => r.length === 5, "five rows after ArrowRight");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`[data-span-panel='${list[2].id}']`);
  assert.equal(new URL(page.url()).searchParams.get("span"), list[2].id);
  await page.keyboard.press("Escape");
  await page.waitForSelector("[data-span-panel]", { state: "detached" });
  assert.equal(new URL(page.url()).searchParams.get("span"), null);

  // The checkout: 16 spans over five levels, the failed card charge in red.
  await visit(page, `/traces/${showcase.traceId}`);
  list = await rows(page);
  assert.equal(list.length, showcase.count);
  assert.equal(Math.max(...list.map((r) => r.depth)), 5);
  const charge = `[data-span-id='${showcase.spans.charge}']`;
  assert.notEqual(await page.getAttribute(charge, "data-error"), null);
  assert.equal(
    await page.getAttribute(`[data-span-id='${showcase.spans.retry}']`, "data-error"),
    null,
  );
  assert.equal(await page.textContent("[data-figure='Errors']"), "1");
  assert.deepEqual(
    await page.$$eval("[data-legend-service]", (s) => s.map((e) => e.dataset.legendService)),
    ["web-frontend", "order-service", "inventory-service", "payment-service"],
  );
  assert.ok((await page.$$("[data-critical]")).length > 0, "the critical path is drawn");
  const traceLogs = new URL(
    await page.getAttribute("[data-trace-logs-link]", "href"),
    "http://x",
  );
  assert.equal(traceLogs.pathname, "/logs");
  assert.equal(traceLogs.searchParams.get("trace_id"), showcase.traceId);
  assert.equal(traceLogs.searchParams.get("span_id"), null);

  // A click opens the span's details: status, attributes, events relative to the span.
  await page.click(`${charge} .argus-wf-op`);
  await page.waitForSelector(`[data-span-panel='${showcase.spans.charge}']`);
  assert.equal(await page.getAttribute(charge, "aria-selected"), "true");
  assert.equal(await page.textContent("[data-panel-name]"), "charge card");
  assert.equal(await page.textContent("[data-panel-status]"), "error");
  assert.equal(await page.textContent("[data-status-message]"), "Gateway timeout after 180 ms");
  assert.equal(await page.textContent("[data-attr-key='payment.provider']"), "acme-pay");
  assert.equal(await page.textContent("[data-attr-key='attempt']"), "1");
  assert.equal(await page.textContent("[data-attr-key='service.version']"), "2.3.1");
  assert.match(
    await page.textContent("[data-event='exception']"),
    /\+180ms\s*exception.*TimeoutError/s,
  );
  assert.match(await page.textContent("[data-event='request sent']"), /\+400µs/);
  const spanLogs = new URL(await page.getAttribute("[data-span-logs-link]", "href"), "http://x");
  assert.equal(spanLogs.pathname, "/logs");
  assert.equal(spanLogs.searchParams.get("trace_id"), showcase.traceId);
  assert.equal(spanLogs.searchParams.get("span_id"), showcase.spans.charge);
  assert.equal(new URL(page.url()).searchParams.get("span"), showcase.spans.charge);

  await saveScreenshots(page, "docs/screenshots/trace.png");

  // The retry links to the failed attempt in the same trace; "Parent span" climbs.
  await page.click(`[data-span-id='${showcase.spans.retry}']`);
  await page.waitForSelector(`[data-span-panel='${showcase.spans.retry}']`);
  await page.click(`[data-link='${showcase.traceId}'] button`);
  await page.waitForSelector(`[data-span-panel='${showcase.spans.charge}']`);
  // With its grandparent collapsed, the parent is hidden: opening it expands the way to it.
  await page.click(`[data-span-id='${showcase.spans["pay-call"]}'] [data-toggle]`);
  await page.waitForSelector(`[data-span-id='${showcase.spans.pay}']`, { state: "detached" });
  await page.click("button:has-text('Parent span')");
  await page.waitForSelector(`[data-span-panel='${showcase.spans.pay}']`);
  await page.waitForSelector(`[data-span-id='${showcase.spans.pay}'][aria-selected='true']`);
  assert.equal(
    await page.evaluate(() => document.activeElement?.dataset.spanId),
    showcase.spans.pay,
  );

  // ?span= opens a span as the page loads.
  await visit(page, `/traces/${showcase.traceId}?span=${showcase.spans.insert}`);
  await page.waitForSelector(`[data-span-panel='${showcase.spans.insert}']`);
  assert.equal(
    await page.getAttribute(`[data-span-id='${showcase.spans.insert}']`, "aria-selected"),
    "true",
  );

  // A link to another trace: the consumer's span links to the producer's.
  const consumer = showcase.consumerTraceId;
  await visit(page, `/traces/${consumer}`);
  list = await rows(page);
  await page.click(`[data-span-id='${list[0].id}']`);
  await page.click(`[data-link='${showcase.traceId}'] a`);
  await page.waitForURL(new RegExp(`/traces/${showcase.traceId}\\?span=${showcase.spans.publish}`));
  await page.waitForSelector(`[data-span-panel='${showcase.spans.publish}']`);

  // Dragging across the ruler zooms in; the button resets.
  const ruler = await page.$("[data-ruler]");
  const box = await ruler.boundingBox();
  const ticksBefore = await page.$$eval("[data-tick]", (t) => t.map((e) => e.dataset.tick));
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector("[data-reset-zoom]");
  const ticksZoomed = await page.$$eval("[data-tick]", (t) => t.map((e) => e.dataset.tick));
  assert.notDeepEqual(ticksZoomed, ticksBefore);
  await page.click("[data-reset-zoom]");
  await page.waitForSelector("[data-reset-zoom]", { state: "detached" });
  assert.deepEqual(
    await page.$$eval("[data-tick]", (t) => t.map((e) => e.dataset.tick)),
    ticksBefore,
  );

  // The header's trace-ID box opens a trace as it was pasted (spaces and case ignored).
  const lookup = "form[role='search'] input[name='trace_id']";
  await page.fill(lookup, ` ${options.chain.toUpperCase()} `);
  await page.press(lookup, "Enter");
  await page.waitForURL((url) => url.pathname === `/traces/${options.chain}`);
  await page.waitForSelector("[data-waterfall][data-span-count='5']");
  return { ok: true };
}
