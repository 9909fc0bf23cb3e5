# Argus in a container, Deno Deploy-style: one process (plus its gRPC gateway child), configured by
# environment variables, data in a volume. Not built on the project's machines (no Docker engine
# there); the run stage's command line was tried there without a container (README, "Container").
#
#   docker build -t argus .
#   docker run -p 8080:8080 -p 4317:4317 -p 4318:4318 -v argus-data:/data argus
ARG DENO_VERSION=2.9.6

FROM denoland/deno:bin-${DENO_VERSION} AS deno

# Build: the npm packages Argus runs with (no test tools), and the UI's assets, so that esbuild
# runs here and never at start-up.
FROM node:20-bookworm-slim AS build
COPY --from=deno /deno /usr/local/bin/deno
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN deno run --allow-read=. --allow-write=dist --allow-env --allow-run scripts/build_assets.ts \
  && mkdir -p /data /deno-dir

# Run: Deno on distroless (its entrypoint is `deno`), as the unprivileged user `nonroot` (65532).
# The app is read-only to it; it writes only /data (the SQLite file and the dead-letter queue) and
# Deno's cache.
FROM denoland/deno:distroless-${DENO_VERSION}
WORKDIR /app
COPY --from=build /app /app
COPY --from=build --chown=65532:65532 /data /data
COPY --from=build --chown=65532:65532 /deno-dir /deno-dir
USER 65532:65532
# Inside a container every port must bind to all addresses (the default, 127.0.0.1, would be
# unreachable from outside it); publish only the ports you mean to expose.
ENV HOST=0.0.0.0 \
  DATA_DIR=/data \
  APP_ENV=production \
  DENO_DIR=/deno-dir \
  NO_COLOR=1
VOLUME /data
# UI and API, OTLP/gRPC, OTLP/HTTP.
EXPOSE 8080 4317 4318
# No curl in distroless: Deno fetches /api/health (200 when the database answers, 503 if not).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/bin/deno", "eval", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('HTTP_PORT') || 8080}/api/health`).catch(() => undefined); Deno.exit(r?.ok ? 0 : 1)"]
# deno task start's permissions, narrowed to the container's folders: read the app and the data,
# write the data, run only Deno itself (the gRPC gateway; Deno matches the path it runs from,
# /bin/deno or, where /bin links to /usr/bin, /usr/bin/deno). No `deno task`: it would run npm.
CMD ["run", "--v8-flags=--max-old-space-size=192,--max-semi-space-size=8", "--allow-net", "--allow-env", "--allow-read=/app,/data", "--allow-write=/data", "--allow-run=/bin/deno,/usr/bin/deno", "main.ts"]
