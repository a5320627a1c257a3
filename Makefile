# flashsale: `make demo` runs a real flash sale, `make test` runs every check CI runs.
# Both start the project's own Redis and Postgres first (see scripts/services.sh).
SHELL := /bin/bash
CARGO ?= cargo
DEMO_ARGS ?=

.PHONY: help services services-stop build migrate demo serve test fmt lint

help:
	@echo "make demo           services up, build, run a flash sale, print the result"
	@echo "make test           services up, fmt check, clippy, all tests"
	@echo "make serve          services up, migrate, run the service on 127.0.0.1:8080"
	@echo "make services       start the project's Redis (6390) and Postgres (5440)"
	@echo "make services-stop  stop them"

services:
	@bash scripts/services.sh up

services-stop:
	@bash scripts/services.sh down

build:
	$(CARGO) build --release

migrate: services build
	./target/release/flashsale migrate

demo: migrate
	./target/release/flashsale demo $(DEMO_ARGS)

serve: migrate
	FLASHSALE_ADMIN_TOKEN="$${FLASHSALE_ADMIN_TOKEN:?set FLASHSALE_ADMIN_TOKEN (16+ characters)}" \
		./target/release/flashsale serve

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: services lint
	@bash scripts/services.sh reset-tests
	$(CARGO) test
