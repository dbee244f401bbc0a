# The local stack without Docker (deploy/local/stack.py) and the project's checks.
# Ports are configurable with ILTEO_* variables, e.g. `ILTEO_KAFKA_PORT=19092 make up`
# (the list is in the docstring of deploy/local/stack.py); `make up UP_ARGS=--no-services`
# starts only the infrastructure.

.DEFAULT_GOAL := help
.PHONY: help up down status fetch test lint bench

# The uv that scripts/bootstrap.sh makes sure of (the same rule as there): the one on PATH,
# else the pinned one it installs into .local/tools. Every target but help runs the bootstrap
# first (`fetch`, or scripts/test.sh itself), so `make up` works on a fresh machine.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.local/tools/bin/uv)
STACK := "$(UV)" run --frozen python -m deploy.local.stack

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

up: fetch ## start Kafka, FerretDB, the SMTP/SMS sinks and the four services
	$(STACK) up $(UP_ARGS)

down: fetch ## stop everything `make up` started
	$(STACK) down

status: fetch ## what runs, on which port
	$(STACK) status

fetch: ## install uv and the locked Python deps if missing, fetch Kafka's jars, build FerretDB
	@bash scripts/bootstrap.sh

test: ## lint, types and all tests (what CI runs)
	bash scripts/test.sh

lint: fetch ## ruff and mypy
	"$(UV)" run --frozen ruff check . && "$(UV)" run --frozen ruff format --check . && "$(UV)" run --frozen mypy .

bench: fetch ## intake benchmark on a stack of its own; writes docs/benchmarks.md (BENCH_ARGS=--quick)
	"$(UV)" run --frozen python benchmarks/city_intake.py $(BENCH_ARGS)
