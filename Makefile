# The local stack without Docker (deploy/local/stack.py) and the project's checks.
# Ports are configurable with ILTEO_* variables, e.g. `ILTEO_KAFKA_PORT=19092 make up`
# (the list is in the docstring of deploy/local/stack.py); `make up UP_ARGS=--no-services`
# starts only the infrastructure.

.DEFAULT_GOAL := help
.PHONY: help up down status fetch test lint

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

up: ## start Kafka, FerretDB, the SMTP/SMS sinks and the four services
	uv sync
	uv run python -m deploy.local.stack up $(UP_ARGS)

down: ## stop everything `make up` started
	uv run python -m deploy.local.stack down

status: ## what runs, on which port
	uv run python -m deploy.local.stack status

fetch: ## fetch Kafka's jars and build FerretDB into .local/ (idempotent)
	uv run python -m deploy.local.stack fetch

test: ## lint, types and all tests (what CI runs)
	bash scripts/test.sh

lint: ## ruff and mypy
	uv run ruff check . && uv run ruff format --check . && uv run mypy .
