# Azora in one container. Build: `docker build -t azora .`
# Run with its own Postgres (data on the volume):  docker run -p 8080:8080 -v azora:/var/lib/azora azora
# Run against an external database:               docker run -p 8080:8080 -e DATABASE_URL=postgres://... azora

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: only manifest changes rebuild it.
COPY Cargo.toml Cargo.lock ./
COPY entity/Cargo.toml entity/Cargo.toml
COPY migration/Cargo.toml migration/Cargo.toml
COPY seed/Cargo.toml seed/Cargo.toml
RUN mkdir -p src entity/src migration/src seed/src \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && touch entity/src/lib.rs migration/src/lib.rs seed/src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src entity/src migration/src seed/src
# Then the code.
COPY . .
RUN touch src/main.rs src/lib.rs entity/src/lib.rs migration/src/lib.rs seed/src/lib.rs \
    && cargo build --release --locked \
    && strip target/release/azora

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 ca-certificates curl tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/azora --uid 10001 azora
COPY --from=build /src/target/release/azora /usr/local/bin/azora
COPY config /app/config
COPY docker/entrypoint.sh /usr/local/bin/azora-entrypoint
ENV AZORA_CONFIG_DIR=/app/config \
    AZORA_ENV=production \
    AZORA_DATA_DIR=/var/lib/azora \
    PG_BIN=/usr/lib/postgresql/15/bin
USER azora
WORKDIR /var/lib/azora
VOLUME /var/lib/azora
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/azora-entrypoint"]
CMD ["serve"]
