/**
 * Packaging: `deno task build`'s prebuilt assets, found and served through the code path a binary
 * built by `deno task compile` uses; stale ones noticed; the binary's entry point in its gateway
 * role; `deno task compile` where Deno's runtime cannot be downloaded; `deno task audit`'s verdicts.
 *
 * The binary itself cannot be built here (its base, denort, is downloaded from dl.deno.land): these
 * tests run the same modules with `deno run`, from a copy of the app, as the binary would.
 */
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { GATEWAY_FLAG, gatewayArgs } from "../ingest/grpc_supervisor.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** What Argus runs from; the copy shares the project's node_modules through a link. */
const APP_PARTS = [
  "main.ts",
  "deno.json",
  "package.json",
  "package-lock.json",
  "lib",
  "store",
  "ingest",
  "routes",
  "live",
  "components",
  "islands",
  "utils",
  "static",
  "scripts",
];

interface Manifest {
  clientEntry: string;
  islands: string[];
  files: Record<string, { contentType: string; etag: string; bytes: number }>;
  sources: Record<string, string>;
}

async function copyApp(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "argus-packaging-" });
  for (const part of APP_PARTS) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  await Deno.symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** A task's command line from deno.json, as words (the tasks here have no quoting). */
async function taskCommand(name: string): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const [deno, ...args] = String(denoJson.tasks[name].command).split(/\s+/);
  assert.equal(deno, "deno");
  return args;
}

async function run(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Starts Argus from `app` with the given permissions; resolves once it listens. */
async function startArgus(app: string, entry: string, permissions: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, entry],
    cwd: app,
    env: {
      HTTP_PORT: "0",
      GRPC_PORT: "0",
      OTLP_HTTP_PORT: "0",
      DATA_DIR: join(app, "data"),
      NO_COLOR: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const listening = Promise.withResolvers<string>();
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      log += decoder.decode(chunk, { stream: true });
      const url = /Argus \S+ is listening url=(http:\/\/\S+?)\/?(\s|$)/.exec(log)?.[1];
      if (url) listening.resolve(url);
    }
    listening.reject(new Error(`Argus exited before listening:\n${log}`));
  })();
  const timer = setTimeout(
    () => listening.reject(new Error(`Argus did not listen:\n${log}`)),
    30_000,
  );
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
  };
  try {
    return { baseUrl: await listening.promise, log: () => log, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function bytesOf(response: Response): Promise<Uint8Array> {
  assert.equal(response.status, 200, `${response.url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

Deno.test("deno task build's assets are served through the compiled binary's code path, without esbuild", async (t) => {
  const app = await copyApp();
  try {
    let manifest: Manifest | undefined;

    await t.step(
      "deno task build writes the bundles, Mantine's stylesheet and a manifest",
      async () => {
        const built = await run(await taskCommand("build"), { cwd: app });
        assert.equal(built.code, 0, built.stderr);
        assert.match(built.stdout, /UI assets written to dist\/assets\//);
        manifest = JSON.parse(await Deno.readTextFile(join(app, "dist/assets/manifest.json")));
        const { clientEntry, files, islands, sources } = manifest!;
        assert.match(clientEntry, /^build\/client-\w+\.js$/);
        for (const path of [clientEntry, "mantine.css", "app.css", "favicon.svg"]) {
          assert.ok(path in files, `${path} is in the manifest`);
        }
        for (const [path, file] of Object.entries(files)) {
          const body = await Deno.readFile(join(app, "dist/assets", path));
          assert.equal(body.byteLength, file.bytes, path);
        }
        assert.deepEqual(
          await Deno.readFile(join(app, "dist/assets/mantine.css")),
          await Deno.readFile(join(ROOT, "node_modules/@mantine/core/styles.css")),
        );
        assert.ok(islands.length > 0);
        for (const island of islands) assert.ok(`islands/${island}.tsx` in sources, island);
        for (const source of ["package-lock.json", "routes/_assets.ts", "static/app.css"]) {
          assert.ok(source in sources, `${source} is hashed`);
        }
        assert.ok(
          Object.keys(sources).every((path) => !path.includes("node_modules")),
          "packages are covered by package-lock.json, not hashed one by one",
        );
      },
    );

    await t.step("the binary's entry point serves them and cannot start esbuild", async () => {
      // Run allowed for Deno only (the gRPC gateway): esbuild's native program could not start.
      const argus = await startArgus(app, "scripts/binary_main.ts", [
        "--allow-net",
        "--allow-env",
        `--allow-read=${app},${ROOT}/node_modules`,
        `--allow-write=${app}`,
        `--allow-run=${Deno.execPath()}`,
      ]);
      try {
        assert.match(argus.log(), /UI assets loaded from build islands=\d+/);
        assert.doesNotMatch(argus.log(), /UI assets built/);
        const page = await (await fetch(`${argus.baseUrl}/`)).text();
        assert.ok(
          page.includes(`/static/${manifest!.clientEntry}`),
          "the page loads the client entry",
        );
        const entry = await fetch(`${argus.baseUrl}/static/${manifest!.clientEntry}`);
        assert.equal(entry.headers.get("content-type"), "text/javascript; charset=utf-8");
        // fetch takes gzip, so the answer carries the weak form of the file's ETag.
        assert.equal(
          entry.headers.get("etag")?.replace(/^W\//, ""),
          manifest!.files[manifest!.clientEntry]!.etag,
        );
        assert.deepEqual(
          await bytesOf(entry),
          await Deno.readFile(join(app, "dist/assets", manifest!.clientEntry)),
        );
        const css = await fetch(`${argus.baseUrl}/static/mantine.css`);
        assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
        assert.deepEqual(
          await bytesOf(css),
          await Deno.readFile(join(app, "dist/assets/mantine.css")),
        );
      } finally {
        await argus.stop();
      }
    });

    await t.step(
      "standalone, only the module and dist/assets are needed: no sources, no packages",
      async () => {
        // What `deno compile --include dist/assets` puts beside routes/_assets.ts in the binary.
        const binary = await Deno.makeTempDir({ prefix: "argus-binary-like-" });
        try {
          cpSync(join(app, "routes/_assets.ts"), join(binary, "routes/_assets.ts"));
          cpSync(join(app, "dist/assets"), join(binary, "dist/assets"), { recursive: true });
          const module = await import(pathToFileURL(join(binary, "routes/_assets.ts")).href);
          const loaded = await module.loadAssets({ standalone: true });
          assert.equal(loaded.from, "prebuilt");
          assert.equal(loaded.assets.clientEntry, manifest!.clientEntry);
          assert.deepEqual(
            [...loaded.assets.files.keys()].sort(),
            Object.keys(manifest!.files).sort(),
          );

          await Deno.remove(join(binary, "dist/assets/manifest.json"));
          await assert.rejects(
            () => module.loadAssets({ standalone: true }),
            /This binary has no UI assets .*manifest\.json is missing.*deno task compile/,
          );
        } finally {
          await Deno.remove(binary, { recursive: true });
        }
      },
    );

    await t.step(
      "an island changed since the build: Argus builds in memory and says why",
      async () => {
        const island = `islands/${manifest!.islands[0]}.tsx`;
        await Deno.writeTextFile(join(app, island), "\n// changed after the build\n", {
          append: true,
        });
        const argus = await startArgus(app, "main.ts", [
          "--allow-net",
          "--allow-env",
          `--allow-read=${app},${ROOT}`,
          `--allow-write=${app}`,
          "--allow-run",
        ]);
        try {
          const log = argus.log();
          assert.match(
            log,
            /WARN +UI assets in dist\/assets are out of date: built in memory instead/,
          );
          assert.ok(log.includes(`${island} changed`), log);
          assert.match(log, /UI assets built islands=\d+/);
          assert.equal((await fetch(`${argus.baseUrl}/`)).status, 200);
        } finally {
          await argus.stop();
        }
      },
    );

    await t.step(
      "deno task compile says why it stops where Deno's runtime cannot be downloaded",
      async () => {
        const [, ...compileArgs] = await taskCommand("compile");
        // --no-check: the type check is `deno task check`'s job; this is about the download.
        const compiled = await run(["run", ...compileArgs, "--no-check"], {
          cwd: app,
          timeoutMs: 120_000,
        });
        if (compiled.code === 0) {
          // A machine that reaches dl.deno.land builds the binary.
          assert.ok((await Deno.stat(join(app, "dist/argus"))).isFile);
          return;
        }
        assert.equal(compiled.code, 1, compiled.stderr);
        assert.match(
          compiled.stderr,
          /--include dist\/assets --include store\/sqlite_writer_worker\.ts/,
        );
        assert.match(
          compiled.stderr,
          /--allow-net --allow-env --allow-read=\. --allow-write=\. --allow-run/,
        );
        assert.match(compiled.stderr, /deno compile could not get denort \d+\.\d+\.\d+/);
        assert.match(compiled.stderr, /set DENORT_BIN to a denort/);

        const withDeno = await run(["run", ...compileArgs], {
          cwd: app,
          env: { DENORT_BIN: Deno.execPath() },
        });
        assert.equal(withDeno.code, 1);
        assert.match(withDeno.stderr, /DENORT_BIN must name a denort binary.*which is deno itself/);
      },
    );
  } finally {
    await Deno.remove(app, { recursive: true });
  }
});

Deno.test("the binary's entry point runs the OTLP/gRPC gateway when started with the gateway flag", async () => {
  assert.deepEqual(gatewayArgs(true), [GATEWAY_FLAG]);
  assert.deepEqual(gatewayArgs(false).slice(0, 3), ["run", "--allow-net", "--allow-env"]);
  // GRPC_GATEWAY_HEAP reaches the gateway as its V8 old space, with a small young generation.
  assert.ok(
    gatewayArgs(false, 128 * 1_048_576).includes(
      "--v8-flags=--max-old-space-size=128,--max-semi-space-size=1",
    ),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...await taskCommand("start").then((a) => a.slice(1, -1)),
      "scripts/binary_main.ts",
      GATEWAY_FLAG,
    ],
    cwd: ROOT,
    env: {
      ARGUS_GATEWAY_HOST: "127.0.0.1",
      ARGUS_GATEWAY_PORT: "0",
      ARGUS_GATEWAY_CORE_URL: "http://127.0.0.1:9",
      ARGUS_GATEWAY_MAX_REQUEST_BYTES: "1048576",
      NO_COLOR: "1",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await Promise.race([
    reader.read(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("no answer in 20 s")), 20_000)
    ),
  ]);
  assert.match(first.value ?? "", /^\{"listening":\d+\}/);
  // As under the supervisor: the end of its input means Argus's core is gone.
  await child.stdin.close();
  assert.equal((await child.status).code, 0);
  await reader.cancel();
  await child.stderr.cancel();
});

/** Runs scripts/audit.ts with an `npm` that answers `npm audit --json` with the given reports. */
async function auditWith(runtime: unknown, all: unknown) {
  const bin = await Deno.makeTempDir({ prefix: "argus-fake-npm-" });
  try {
    await Deno.writeTextFile(join(bin, "runtime.json"), JSON.stringify(runtime));
    await Deno.writeTextFile(join(bin, "all.json"), JSON.stringify(all));
    await Deno.writeTextFile(
      join(bin, "npm"),
      `#!/bin/sh\ncase "$*" in *--omit=dev*) cat "${bin}/runtime.json";; *) cat "${bin}/all.json";; esac\n`,
    );
    await Deno.chmod(join(bin, "npm"), 0o755);
    return await run(await taskCommand("audit"), {
      cwd: ROOT,
      env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
}

const counts = (high = 0, critical = 0) => ({
  vulnerabilities: { info: 0, low: 0, moderate: 0, high, critical, total: high + critical },
});

Deno.test("deno task audit fails on a high advisory in a runtime package and names its fix", async () => {
  const clean = await auditWith({ vulnerabilities: {}, metadata: counts() }, {
    vulnerabilities: {},
    metadata: counts(),
  });
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /none: every dependency is an npm package/);
  assert.match(clean.stdout, /Audit passed/);

  const vulnerable = {
    vulnerabilities: {
      pg: {
        severity: "high",
        range: "<8.99.0",
        via: [{ title: "Example injection", url: "https://github.com/advisories/GHSA-xxxx" }],
        fixAvailable: { name: "pg", version: "8.99.0", isSemVerMajor: false },
      },
    },
    metadata: counts(1),
  };
  const high = await auditWith(vulnerable, vulnerable);
  assert.equal(high.code, 1);
  assert.match(high.stdout, /- pg <8\.99\.0: high; fix: pg@8\.99\.0\n +Example injection/);
  assert.match(high.stdout, /Audit failed/);

  // A high advisory only in a test tool is reported, not failed on (critical would fail).
  const devOnly = await auditWith({ vulnerabilities: {}, metadata: counts() }, vulnerable);
  assert.equal(devOnly.code, 0);
  assert.match(devOnly.stdout, /- pg <8\.99\.0: high/);

  const unreachable = { message: "405 Method Not Allowed - POST https://registry.example/-/npm" };
  const offline = await auditWith(unreachable, unreachable);
  assert.equal(offline.code, 2);
  assert.match(offline.stdout, /npm audit could not run: 405 Method Not Allowed/);
  assert.match(offline.stdout, /Audit incomplete/);
});
