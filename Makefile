# Townsquare — one command per task. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help

.PHONY: help run serve test lint test-python bench demo migrate clean assets

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

migrate: $(VENV)/.runtime ## Apply database migrations
	$(BIN)/townsquare migrate --no-input -v 0

demo: migrate ## Load the demo councils, services, staff and cases (idempotent)
	$(BIN)/townsquare demo

# The demo's webhook goes to a receiver on this machine, which the address guard refuses
# unless told (never set this in production).
run demo: export MESSAGING_WEBHOOK_ALLOW_LOOPBACK = true

run: demo ## Serve the product with its demo data on http://127.0.0.1:8000
	$(BIN)/townsquare collectstatic --no-input -v 0
	@echo ""
	@echo "Townsquare is starting on http://$(HOST):$(PORT)/"
	@echo "  Home (councils and services): http://$(HOST):$(PORT)/"
	@echo "  Open311 for integrators:      http://$(HOST):$(PORT)/open311/"
	@echo "  Open311 endpoint:             http://$(HOST):$(PORT)/open311/v2/services.json"
	@echo "  Health check:                 http://$(HOST):$(PORT)/healthz"
	@echo "  Email alerts:                 http://$(HOST):$(PORT)/alerts/"
	@echo "  Demo mailbox (all email):     .venv/bin/townsquare mailbox list"
	@echo "  Demo webhook receiver log:    var/webhooks/"
	@echo "Press Ctrl-C to stop."
	$(BIN)/townsquare mailbox serve & MAILBOX=$$!; \
	$(BIN)/townsquare webhooks listen & RECEIVER=$$!; \
	trap 'kill $$MAILBOX $$RECEIVER 2>/dev/null' EXIT; \
	$(BIN)/townsquare serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev ## Ruff (lint and format), the import-layer contracts and mypy on the domain core
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

test-python: $(VENV)/.dev ## The test suite only (set DATABASE_URL for PostgreSQL)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint test-python ## Lint, layer contracts and the whole test suite

bench: $(VENV)/.dev ## Run the benchmarks and write bench/RESULTS.md
	$(BIN)/python bench/run.py

assets: ## Rebuild the citizen web's CSS/JS from GOV.UK Frontend (needs Node.js 20 and npm)
	npm ci --no-audit --no-fund
	node scripts/build-assets.mjs

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
