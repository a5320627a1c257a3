# flashsale: a multi-stage build, the service alone in a slim runtime image, run as non-root.
# Not built in this project's CI (no image registry there): keep it standard and small.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --package flashsale

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home flashsale
COPY --from=build /src/target/release/flashsale /usr/local/bin/flashsale
USER 10001
# Buyers on 8080; the admin API, the dashboard and /metrics on 9090, kept inside the network edge.
ENV FLASHSALE_LISTEN=0.0.0.0:8080 \
    FLASHSALE_ADMIN_LISTEN=0.0.0.0:9090 \
    FLASHSALE_ADMIN_URL=http://127.0.0.1:9090 \
    FLASHSALE_LOG_FORMAT=json
EXPOSE 8080 9090
HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD ["flashsale", "probe", "http://127.0.0.1:8080/livez"]
ENTRYPOINT ["flashsale"]
CMD ["serve"]
