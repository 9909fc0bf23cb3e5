// AI insight in the browser, against Argus asking the fake provider (tests/fixtures/
// fake_azure_openai.ts), which sends the first half of its answer and holds the rest until
// `POST {fakeUrl}/release`: a log record's "Explain" and the trace page's "Explain this trace"
// show the answer as it is written (the first half on screen while the model is held), then
// whole with the model's name. Options: { fakeUrl, logBody, traceId, answer, model }.
import assert from "node:assert/strict";

/** Lets the fake send the rest of every answer it holds; how many it held. */
async function release(fakeUrl) {
  const response = await fetch(`${fakeUrl}/release`, { method: "POST" });
  return (await response.json()).released;
}

/** Clicks `button`, and follows the popover of `subject` from its first words to its end. */
async function explain(page, button, subject, options) {
  await button.click();
  const popover = page.locator(`[data-insight="${subject}"]`);
  await popover.and(page.locator("[data-state='streaming']")).waitFor({ timeout: 15_000 });
  const text = popover.locator("[data-insight-text]");
  const partial = (await text.textContent()) ?? "";
  assert.ok(partial.length > 0, `${subject}: no words while streaming`);
  assert.ok(options.answer.startsWith(partial.trim()), `${subject}: ${JSON.stringify(partial)}`);
  assert.ok(partial.trim().length < options.answer.length, `${subject}: whole before release`);
  // Held: nothing more arrives until the fake is released.
  await page.waitForTimeout(300);
  assert.equal(await popover.getAttribute("data-state"), "streaming");
  assert.equal(await release(options.fakeUrl), 1, `${subject}: the fake held no answer`);
  await popover.and(page.locator("[data-state='done']")).waitFor({ timeout: 15_000 });
  return {
    partial: partial.trim(),
    text: await text.textContent(),
    model: await popover.locator("[data-insight-model]").textContent(),
  };
}

export async function run({ options, openPage, visit }) {
  const page = await openPage();
  await visit(page, "/logs");
  await page.locator("[data-log-row] .argus-log-summary", { hasText: options.logBody }).first()
    .click();
  const log = await explain(
    page,
    page.locator("[data-insight-button='record']"),
    "record",
    options,
  );
  await page.keyboard.press("Escape");

  await visit(page, `/traces/${options.traceId}`);
  const trace = await explain(
    page,
    page.getByRole("button", { name: "Explain this trace" }),
    "trace",
    options,
  );
  return { log, trace };
}
