# syntax=docker/dockerfile:1.7
# Pasar's production image: build with cargo-leptos (server in release, WASM in its size
# profile, Tailwind and wasm-opt from npm), then a slim Debian runtime holding only the binary,
# the site (target/site) and the configuration, run as a non-root user.
#
#   docker build -t pasar .
#   docker run -p 3000:3000 pasar            # embedded defaults: SQLite in /app/data
#
# See docs/deploy.md for compose (PostgreSQL, Redis, two replicas behind HAProxy).

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS node

FROM rust:${RUST_VERSION}-bookworm AS build
# Node for Tailwind and binaryen (wasm-opt), taken whole from the official image.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
WORKDIR /src
COPY . .
# `cargo xtask build` installs what the build needs (wasm target, cargo-leptos, wasm-bindgen
# CLI, npm packages) and runs `cargo leptos build --release --precompress`. The caches keep the registry,
# the installed tools and the target directory between image builds; the results are copied
# out of the cached target in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    --mount=type=cache,target=/root/.npm \
    cargo xtask build \
    && mkdir -p /out \
    && cp target/release/pasar target/release/hash.txt /out/ \
    && cp -r target/site /out/site

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin pasar \
    && mkdir -p /app/data \
    && chown -R pasar:pasar /app
WORKDIR /app
COPY --from=build /out/pasar /out/hash.txt /usr/local/bin/
COPY --from=build /out/site /app/site
COPY Leptos.toml /app/Leptos.toml
ENV PASAR_ADDR=0.0.0.0:3000 \
    LEPTOS_OUTPUT_NAME=pasar \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    RUST_LOG=info \
    PASAR_LOG_FORMAT=json
USER pasar
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:3000/readyz >/dev/null || exit 1
ENTRYPOINT ["pasar"]
CMD ["serve"]
