/**
 * One Argus process on a fresh database of a driver the tests run (tests/databases.ts), for the
 * end-to-end tests that compare what they sent with what the API answers: started, handed to
 * `body`, then stopped (it must exit 0), its database dropped and its folder removed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { argusDatabaseEnv, freshDatabase, type TestableDriver } from "./databases.ts";

export async function withArgusOn(
  driver: TestableDriver,
  env: Record<string, string>,
  body: (argus: ArgusProcess) => Promise<void>,
): Promise<void> {
  const database = await freshDatabase(driver);
  const cwd = await Deno.makeTempDir({ prefix: `argus-${driver}-` });
  try {
    const argus = await startArgus({ ...env, ...argusDatabaseEnv(driver, database) }, cwd);
    try {
      await body(argus);
    } finally {
      assert.equal(await argus.stop(), 0);
    }
  } finally {
    await database.drop();
    await Deno.remove(cwd, { recursive: true });
  }
}
