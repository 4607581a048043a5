# web3audit: the analyzer and the audit service in one image.
# Build: docker build --build-arg WEB3AUDIT_COMMIT=$(git rev-parse HEAD) -t web3audit .
# Run:   see docker-compose.yml and docs/deployment.md.

# --- build stage ---------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# tree-sitter's C sources need a C compiler (gcc comes with the rust image).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# No .git in the build context: the commit `--version` reports comes from this argument.
ARG WEB3AUDIT_COMMIT=unknown
ENV WEB3AUDIT_COMMIT=$WEB3AUDIT_COMMIT
RUN cargo build --release --locked -p web3audit \
    && strip target/release/web3audit

# --- runtime stage -------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 web3audit \
    && useradd --system --uid 10001 --gid web3audit --home-dir /var/lib/web3audit \
       --shell /usr/sbin/nologin web3audit \
    && mkdir -p /var/lib/web3audit \
    && chown web3audit:web3audit /var/lib/web3audit
COPY --from=build /src/target/release/web3audit /usr/local/bin/web3audit
USER 10001:10001
WORKDIR /var/lib/web3audit
ENV WEB3AUDIT_BIND=0.0.0.0:8000 \
    WEB3AUDIT_DATABASE_URL=sqlite:///var/lib/web3audit/web3audit.db \
    WEB3AUDIT_LOG_FORMAT=json
VOLUME ["/var/lib/web3audit"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["web3audit", "health", "--url", "http://127.0.0.1:8000"]
ENTRYPOINT ["web3audit"]
CMD ["serve"]
