# Townsquare — one command per task. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help

.PHONY: help run serve test lint test-python bench demo migrate clean assets identity-provider api-document api-fuzz security triage-model triage-figures

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

# Emailed links are built from PUBLIC_URL, never from a request's Host header (ADR 130): follow
# HOST and PORT unless given. A wildcard listening address is reached on loopback.
PUBLIC_HOST = $(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST))
run: export PUBLIC_URL ?= http://$(PUBLIC_HOST):$(PORT)
run: export ALLOWED_HOSTS ?= 127.0.0.1,localhost,$(PUBLIC_HOST)
# The staff pages show the local mailbox to platform admins, links hidden (never in production).
run: export DEMO_MAILBOX = true

# Residents sign in with the demo's local One Login-like provider (townsquare identity-provider).
OIDC_PORT ?= 9010
run: export ONE_LOGIN_ISSUER = http://127.0.0.1:$(OIDC_PORT)
run: export ONE_LOGIN_CLIENT_ID = townsquare-residents
run: export ONE_LOGIN_PRIVATE_KEY_FILE = var/identity/resident-client-key.json
run: export OIDC_ALLOW_LOOPBACK_ISSUERS = true

# The category model is built here from the project's own data, once (ADR 200); `townsquare
# triage train` builds it again, with the councils' closed cases.
var/triage/category.joblib: | $(VENV)/.runtime
	$(BIN)/townsquare triage train

triage-model: var/triage/category.joblib ## Train the triage category model when there is none

triage-figures: $(VENV)/.runtime ## Measure the triage models (townsquare triage evaluate) into bench/RESULTS.md
	$(BIN)/python bench/triage.py

# Fees are paid through the stand-in GOV.UK Pay (townsquare pay_standin), on this port.
PAY_PORT ?= 9020
run: export PAYMENTS_GOVUK_PAY_URL = http://127.0.0.1:$(PAY_PORT)
run: export PAYMENTS_GOVUK_PAY_PAGES_URL = http://127.0.0.1:$(PAY_PORT)

run: demo identity-provider triage-model ## Serve the product with its demo data on http://127.0.0.1:8000
	$(BIN)/townsquare collectstatic --no-input -v 0
	@echo ""
	@echo "Townsquare is starting on http://$(HOST):$(PORT)/"
	@echo "  Home (councils and services): http://$(HOST):$(PORT)/"
	@echo "  Open311 for integrators:      http://$(HOST):$(PORT)/open311/"
	@echo "  Open311 endpoint:             http://$(HOST):$(PORT)/open311/v2/services.json"
	@echo "  REST API reference:           http://$(HOST):$(PORT)/api/v1/docs (docs/api/README.md)"
	@echo "  Health check:                 http://$(HOST):$(PORT)/healthz"
	@echo "  Email alerts:                 http://$(HOST):$(PORT)/alerts/"
	@echo "  Live queues (public boards):  http://$(HOST):$(PORT)/queues/ (desk: /staff/queues/)"
	@echo "  Demo mailbox (email and SMS): .venv/bin/townsquare mailbox list, then"
	@echo "    .venv/bin/townsquare mailbox show ID   (sign-in links are in the message)"
	@echo "  Demo webhook receiver log:    var/webhooks/"
	@echo "  Stand-in GOV.UK Pay (fees):   http://127.0.0.1:$(PAY_PORT)/ (Pay, Decline or Cancel)"
	@echo "  Sign in with GOV.UK One Login (demo), or as Bristol staff with the"
	@echo "  Bristol staff account (demo): provider at http://127.0.0.1:$(OIDC_PORT)/"
	@echo "Press Ctrl-C to stop."
	$(BIN)/townsquare mailbox serve & MAILBOX=$$!; \
	$(BIN)/townsquare webhooks listen & RECEIVER=$$!; \
	$(BIN)/townsquare identity_provider --port $(OIDC_PORT) & PROVIDER=$$!; \
	$(BIN)/townsquare pay_standin --port $(PAY_PORT) & PAY=$$!; \
	trap 'kill $$MAILBOX $$RECEIVER $$PROVIDER $$PAY 2>/dev/null' EXIT; \
	$(BIN)/townsquare serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev ## Ruff (lint and format), bandit, the import-layer contracts and mypy on the domain core
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -r townsquare config -q
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# The local OpenID Provider (oidc-provider from npm) that the tests and the demo sign in with.
OIDC_PROVIDER := scripts/oidc-provider
$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --loglevel=error
	@touch $@

identity-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

test-python: $(VENV)/.dev identity-provider ## The test suite only (set DATABASE_URL for PostgreSQL)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint test-python ## Lint, layer contracts and the whole test suite

SECURITY_TESTS = tests/security townsquare/staff/tests/test_sign_in_throttle.py \
	townsquare/core/tests/test_client_address.py tests/citizen/test_sign_in_limits.py \
	tests/test_rate_limits.py tests/test_security_headers.py tests/test_production_settings.py \
	tests/test_serve_resilience.py tests/test_request_body_limits.py \
	tests/browser/test_content_security_policy.py

security: $(VENV)/.dev identity-provider ## Issue 23's security checks again: the cross-council probe, throttles, headers, slow clients, clean stop, bandit
	$(BIN)/bandit -q -c pyproject.toml -r townsquare config
	TOWNSQUARE_BROWSER_TESTS=required $(BIN)/pytest -n 2 $(SECURITY_TESTS)

api-document: $(VENV)/.dev ## Write the REST API's OpenAPI document (docs/api/openapi-v1.json) from the code
	$(BIN)/townsquare api_document

# CI runs the same tests with 10 examples per operation and 10 stateful scenarios (ADR 160).
API_FUZZ_EXAMPLES ?= 1000
API_FUZZ_SCENARIOS ?= 1000
api-fuzz: $(VENV)/.dev ## Schemathesis over the REST API at full strength (1,000 cases per operation)
	API_FUZZ_EXAMPLES=$(API_FUZZ_EXAMPLES) API_FUZZ_SCENARIOS=$(API_FUZZ_SCENARIOS) \
		$(BIN)/pytest -p no:cacheprovider -q -o addopts="--strict-markers" \
		--hypothesis-show-statistics -o junit_family=legacy --junitxml=var/api-fuzz.xml \
		$(PYTEST_ARGS) tests/test_api_openapi.py

bench: $(VENV)/.dev ## Run the benchmarks and write bench/RESULTS.md
	$(BIN)/python bench/run.py

assets: ## Rebuild the citizen web's CSS/JS from GOV.UK Frontend (needs Node.js 20 and npm)
	npm ci --no-audit --no-fund
	node scripts/build-assets.mjs

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
