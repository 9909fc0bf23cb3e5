// The live log stream's browser benchmark (run by bench/ui_live_logs.ts, not a test): the Logs
// page in headless Chromium while this script sends log records to Argus over OTLP/HTTP at a set
// rate, phase by phase (Live off or on, a rate, a duration). In the page it counts animation
// frames (fps), long tasks (PerformanceObserver 'longtask', each over 50 ms), rows in the DOM,
// the JS heap (performance.memory and, exact, the DevTools protocol's JSHeapUsedSize) and records
// added to the list per second (the island's data-appended counter); beside it, what Argus
// accepted and what the WebSocket delivered.
//
// Options: { otlpHttpUrl, phases: [{ name, live, rate, seconds, warmupSeconds }], batch }.

const SERVICES = ["order-service", "payment-service", "inventory-service"];
const ROUTES = ["/api/cart", "/api/orders", "/api/pay", "/api/stock"];

/** One OTLP/JSON request of `count` records numbered from `seq` (text built directly: cheap). */
function requestBody(seq, count, service) {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const records = [];
  for (let i = 0; i < count; i++) {
    const n = seq + i;
    const error = n % 50 === 0;
    const warn = !error && n % 17 === 0;
    const [number, text] = error ? [17, "ERROR"] : warn ? [13, "WARN"] : [9, "INFO"];
    const route = ROUTES[n % ROUTES.length];
    const status = error ? 500 : 200;
    const ms = 3 + (n * 7) % 240;
    const id = n.toString(16);
    records.push(
      `{"timeUnixNano":"${
        nowNs + BigInt(i)
      }","severityNumber":${number},"severityText":"${text}",` +
        `"body":{"stringValue":"POST ${route} answered ${status} in ${ms} ms (request ${n})"},` +
        `"traceId":"${id.padStart(32, "a")}","spanId":"${id.padStart(16, "b")}",` +
        `"attributes":[{"key":"http.route","value":{"stringValue":"${route}"}},` +
        `{"key":"http.response.status_code","value":{"intValue":"${status}"}},` +
        `{"key":"request.seq","value":{"intValue":"${n}"}}]}`,
    );
  }
  return `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"${service}"}},` +
    `{"key":"host.name","value":{"stringValue":"bench-1"}}]},"scopeLogs":[{"scope":{"name":"bench"},` +
    `"logRecords":[${records.join(",")}]}]}]}`;
}

/**
 * Sends `rate` records per second in requests of at most `batch`, on a schedule (catching up when
 * behind, at most 16 requests in flight); `stop()` resolves with what was sent and accepted.
 */
export function startLoad(otlpHttpUrl, rate, batch, firstSeq) {
  const started = performance.now();
  const stats = { sent: 0, accepted: 0, rejected: 0, failedRequests: 0, latencies: [] };
  let queued = 0;
  let inFlight = 0;
  let seq = firstSeq;
  let turn = 0;
  const inFlightDone = new Set();
  const tick = () => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (queued < due && inFlight < 16) {
      const count = Math.min(batch, due - queued);
      const body = requestBody(seq, count, SERVICES[turn++ % SERVICES.length]);
      seq += count;
      queued += count;
      inFlight++;
      const t0 = performance.now();
      const request = fetch(`${otlpHttpUrl}/v1/logs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }).then(async (response) => {
        const answer = await response.text();
        stats.latencies.push(performance.now() - t0);
        if (response.status !== 200) {
          stats.failedRequests++;
          return;
        }
        const rejected = Number(JSON.parse(answer || "{}").partialSuccess?.rejectedLogRecords ?? 0);
        stats.rejected += rejected;
        stats.accepted += count - rejected;
      }).catch(() => stats.failedRequests++).finally(() => {
        inFlight--;
        inFlightDone.delete(request);
      });
      inFlightDone.add(request);
      stats.sent += count;
    }
  };
  const timer = setInterval(tick, 5);
  return {
    nextSeq: () => seq,
    async stop() {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      await Promise.all([...inFlightDone]);
      const sorted = stats.latencies.sort((a, b) => a - b);
      const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return {
        sent: stats.sent,
        accepted: stats.accepted,
        rejected: stats.rejected,
        failedRequests: stats.failedRequests,
        seconds,
        ackP50: at(0.5),
        ackP99: at(0.99),
      };
    },
  };
}

/** Counters kept in the page from now on. */
function installProbe() {
  const probe = { frames: 0, gaps: [], longTasks: [] };
  let last = performance.now();
  const frame = (t) => {
    probe.frames++;
    probe.gaps.push(t - last);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      probe.longTasks.push({ at: entry.startTime, ms: entry.duration });
    }
  }).observe({ type: "longtask" });
  probe.read = () => ({
    at: performance.now(),
    frames: probe.frames,
    gaps: probe.gaps.length,
    longTasks: probe.longTasks.length,
    appended: Number(document.querySelector("[data-log-stream-stats]")?.dataset.appended ?? 0),
    rows: document.querySelectorAll("[data-log-row]").length,
    listed: Number(document.querySelector("[data-log-stream-stats]")?.dataset.rows ?? 0),
    heap: performance.memory?.usedJSHeapSize ?? null,
    liveState: document.querySelector("[data-live-state]")?.dataset.liveState ?? "off",
  });
  probe.between = (fromGap, fromTask) => ({
    gaps: probe.gaps.slice(fromGap),
    longTasks: probe.longTasks.slice(fromTask),
  });
  globalThis.__probe = probe;
}

async function setLive(page, on) {
  const toggle = page.getByRole("switch", { name: "Live" });
  if ((await toggle.isChecked()) !== on) {
    await toggle.focus();
    await page.keyboard.press("Space");
  }
  if (on) await page.waitForSelector("[data-live-state='open']", { timeout: 20_000 });
  else await page.waitForSelector("[data-live-state]", { state: "detached" });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mean = (values) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function run({ browser, openPage, visit, options }) {
  const { otlpHttpUrl, phases, batch = 100 } = options;
  const page = await openPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async () =>
    Object.fromEntries(
      (await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]),
    );
  let wsItems = 0;
  const wsClosed = [];
  page.on("websocket", (ws) => {
    ws.on("framereceived", (frame) => {
      const text = typeof frame.payload === "string" ? frame.payload : frame.payload.toString();
      // Counting commas of top-level objects would be cheaper; parsing keeps it exact.
      try {
        const items = JSON.parse(text);
        if (Array.isArray(items)) wsItems += items.length;
      } catch {
        // not an array of records
      }
    });
    ws.on("close", () => wsClosed.push(ws.url()));
  });

  // Records in the window before the page loads, so that it opens on a full list.
  const prefill = startLoad(otlpHttpUrl, 1000, batch, 0);
  await sleep(2000);
  await prefill.stop();
  let seq = prefill.nextSeq();
  await visit(page, "/logs");
  await page.evaluate(installProbe);
  const results = [];
  for (const phase of phases) {
    await setLive(page, phase.live);
    const load = phase.rate > 0 ? startLoad(otlpHttpUrl, phase.rate, batch, seq) : null;
    await sleep((phase.warmupSeconds ?? 2) * 1000);
    const before = await page.evaluate(() => globalThis.__probe.read());
    const cdpBefore = await metrics();
    const wsBefore = wsItems;
    const samples = [];
    const started = Date.now();
    while (Date.now() - started < phase.seconds * 1000) {
      await sleep(1000);
      const sample = await page.evaluate(() => globalThis.__probe.read());
      const m = await metrics();
      samples.push({ ...sample, cdpHeap: m.JSHeapUsedSize, nodes: m.Nodes });
    }
    const after = await page.evaluate(() => globalThis.__probe.read());
    const cdpAfter = await metrics();
    const wsAfter = wsItems;
    const { gaps, longTasks } = await page.evaluate(
      ([g, t]) => globalThis.__probe.between(g, t),
      [before.gaps, before.longTasks],
    );
    const loadResult = load ? await load.stop() : null;
    if (load) seq = load.nextSeq();
    const seconds = (after.at - before.at) / 1000;
    // Frames per second in each one-second sample, for the worst second.
    const perSecond = samples.map((s, i) =>
      s.frames - (i === 0 ? before.frames : samples[i - 1].frames)
    );
    results.push({
      name: phase.name,
      live: phase.live,
      rate: phase.rate,
      seconds,
      ingest: loadResult && {
        acceptedPerSecond: loadResult.accepted / loadResult.seconds,
        sentPerSecond: loadResult.sent / loadResult.seconds,
        rejected: loadResult.rejected,
        failedRequests: loadResult.failedRequests,
        ackP50: loadResult.ackP50,
        ackP99: loadResult.ackP99,
      },
      wsItemsPerSecond: (wsAfter - wsBefore) / seconds,
      renderedPerSecond: (after.appended - before.appended) / seconds,
      fps: (after.frames - before.frames) / seconds,
      fpsWorstSecond: Math.min(...perSecond),
      framesOver50ms: gaps.filter((g) => g > 50).length,
      worstFrameMs: Math.max(0, ...gaps),
      longTasks: longTasks.length,
      longTaskMs: longTasks.reduce((sum, task) => sum + task.ms, 0),
      longestTaskMs: Math.max(0, ...longTasks.map((task) => task.ms)),
      longTaskList: longTasks.map((task) => ({
        atSecond: Math.round((task.at - before.at) / 100) / 10,
        ms: Math.round(task.ms),
      })),
      domRowsMean: mean(samples.map((s) => s.rows)),
      domRowsMax: Math.max(...samples.map((s) => s.rows)),
      domNodesMax: Math.max(...samples.map((s) => s.nodes)),
      listedMax: Math.max(...samples.map((s) => s.listed)),
      heapMb: {
        start: cdpBefore.JSHeapUsedSize / 2 ** 20,
        end: cdpAfter.JSHeapUsedSize / 2 ** 20,
        max: Math.max(...samples.map((s) => s.cdpHeap)) / 2 ** 20,
        performanceMemoryEnd: after.heap === null ? null : after.heap / 2 ** 20,
      },
      mainThreadBusy: (cdpAfter.TaskDuration - cdpBefore.TaskDuration) / seconds,
      scriptBusy: (cdpAfter.ScriptDuration - cdpBefore.ScriptDuration) / seconds,
      layoutBusy: (cdpAfter.LayoutDuration - cdpBefore.LayoutDuration) / seconds,
      styleBusy: (cdpAfter.RecalcStyleDuration - cdpBefore.RecalcStyleDuration) / seconds,
      layouts: (cdpAfter.LayoutCount - cdpBefore.LayoutCount) / seconds,
      liveStates: [...new Set(samples.map((s) => s.liveState))],
      socketsClosed: wsClosed.length,
    });
    // Let the page settle before the next phase.
    await sleep(1000);
  }
  await setLive(page, false);
  return { chromium: browser.version(), results };
}
