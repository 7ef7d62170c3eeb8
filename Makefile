# AgentKit: `make help` lists the targets. Every target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM ?= npm
NPX ?= npx --no-install
PYTHON ?= python3
MOCK_HOST ?= 127.0.0.1
AGENTKIT_MOCK_PORT ?= 4010
OPSCORE_MOCK_PORT ?= 4011
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
export OPENAPI_GENERATOR_CLI_SEARCH_URL := DEFAULT

STAMP := node_modules/.install-stamp

.PHONY: help install build packages lint generate check-generated mock-agentkit mock-opscore opscore-reference echo-agent test test-ts test-pg test-py test-deps run fuzz bench soak clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP) ## Install dependencies (npm ci) when package-lock.json changed

build: $(STAMP) ## Compile: the package bundles (src/client, src/sdk), the service into dist/, the console into dist/console/
	node --import tsx scripts/build-packages.ts --build-only
	$(NPX) tsc -p tsconfig.build.json
	node --import tsx scripts/build-console.ts

packages: $(STAMP) ## Build what other services install: npm tarballs in dist/packages/, the Python wheel in dist/python/
	node --import tsx scripts/build-packages.ts
	bash scripts/package-python.sh

opscore-reference: $(STAMP) ## Run the reference Ops-Core alone (OPSCORE_API_KEY; OPSCORE_PORT, OPSCORE_WEBHOOK_SECRET)
	node --import tsx src/opscore-reference/main.ts

echo-agent: $(STAMP) ## Run the example agent alone (AGENTKIT_URL, AGENTKIT_API_KEY, OPSCORE_API_URL, OPSCORE_API_KEY, AGENT_PORT)
	node --import tsx examples/echo-agent.ts

run: build ## Start the whole system locally: AgentKit (SQLite in ./data), reference Ops-Core, example agent
	node dist/src/dev/run-local.js

lint: $(STAMP) ## Lint both specs (Redocly, rules in redocly.yaml) and type-check (tsc --noEmit)
	$(NPX) redocly lint
	$(NPX) tsc --noEmit -p tsconfig.json
	$(NPX) tsc --noEmit -p src/console/tsconfig.json

generate: $(STAMP) ## Regenerate generated/ from openapi/ (bundles, TypeScript types, Python clients)
	bash scripts/generate.sh generated

check-generated: $(STAMP) ## Fail when generated/ is not what the specs produce
	bash scripts/check-generated.sh

mock-agentkit: $(STAMP) ## Serve a Prism mock of AgentKit's API on 127.0.0.1:4010 (MOCK_HOST, AGENTKIT_MOCK_PORT)
	$(NPX) prism mock --host $(MOCK_HOST) --port $(AGENTKIT_MOCK_PORT) generated/openapi/agentkit.yaml

mock-opscore: $(STAMP) ## Serve a Prism mock of Ops-Core's API on 127.0.0.1:4011 (MOCK_HOST, OPSCORE_MOCK_PORT)
	$(NPX) prism mock --host $(MOCK_HOST) --port $(OPSCORE_MOCK_PORT) generated/openapi/opscore.yaml

test-deps: ## Make sure the machine has what the tests need (Chromium for /docs, a running PostgreSQL)
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-postgres.sh

test: $(STAMP) ## Everything CI checks: lint, check-generated, TypeScript tests, Python tests
	$(MAKE) test-deps
	$(MAKE) lint
	$(MAKE) check-generated
	$(MAKE) test-ts
	$(MAKE) test-py

test-ts: $(STAMP) ## Run the TypeScript tests (vitest)
	$(NPX) vitest run

test-pg: $(STAMP) ## Run the store suite on SQLite and PostgreSQL and the multi-process replica tests
	bash scripts/ensure-postgres.sh
	$(NPX) vitest run test/store test/replicas

test-py: $(STAMP) ## Run the Python tests (pytest) against the generated Python client
	bash scripts/test-python.sh

bench: $(STAMP) ## Benchmark (not part of test): prints a table and writes bench/results.json (BENCH_* env, see bench/run.ts)
	node --import tsx bench/run.ts

soak: $(STAMP) ## Soak (not part of test): 5 minutes at half the dispatch capacity, RSS and p99 every 30 s
	node --import tsx bench/soak.ts

FUZZ_REQUESTS ?= 20000
FUZZ_SEED ?=
fuzz: $(STAMP) ## Fuzz the three APIs longer: make fuzz FUZZ_REQUESTS=50000 FUZZ_SEED=n
	FUZZ_REQUESTS=$(FUZZ_REQUESTS) FUZZ_SEED=$(FUZZ_SEED) $(NPX) vitest run test/fuzz

clean: ## Remove build output, local data and downloaded tools
	rm -rf dist data .tools
