import assert from "node:assert/strict";
import { between, chance } from "./_random.ts";

Deno.test("chance() is the same for the same arguments and differs with any of them", () => {
  assert.equal(
    chance(7, "inventory-service", "database-lock", "ord-000001"),
    chance(7, "inventory-service", "database-lock", "ord-000001"),
  );
  const base = chance(7, "inventory-service", "database-lock", "ord-000001");
  assert.notEqual(chance(8, "inventory-service", "database-lock", "ord-000001"), base);
  assert.notEqual(chance(7, "payment-service", "database-lock", "ord-000001"), base);
  assert.notEqual(chance(7, "inventory-service", "lock-ms", "ord-000001"), base);
  assert.notEqual(chance(7, "inventory-service", "database-lock", "ord-000002"), base);
});

Deno.test("chance() is uniform on [0, 1) and independent between purposes", () => {
  const n = 100_000;
  const buckets = new Array(10).fill(0);
  let both = 0;
  for (let i = 0; i < n; i++) {
    const a = chance(42, "order-service", "latency", `ord-${i}`);
    const b = chance(42, "order-service", "latency-ms", `ord-${i}`);
    assert.ok(a >= 0 && a < 1);
    buckets[Math.floor(a * 10)] += 1;
    if (a < 0.3 && b < 0.5) both += 1;
  }
  // Each bucket ~Bin(n, 0.1): σ ≈ 95; 5σ bounds.
  for (const count of buckets) assert.ok(Math.abs(count - n / 10) < 475, `bucket ${count}`);
  // P(a < 0.3 and b < 0.5) = 0.15 when independent: σ ≈ 113.
  assert.ok(Math.abs(both - 0.15 * n) < 565, `joint ${both}`);
});

Deno.test("between() stays within its bounds", () => {
  for (let i = 0; i < 1000; i++) {
    const ms = between(1, "inventory-service", "lock-ms", String(i), 2000, 5000);
    assert.ok(ms >= 2000 && ms < 5000, String(ms));
  }
});
