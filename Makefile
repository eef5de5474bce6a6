# hotplug — see README.md for the two commands that matter.
SHELL := /usr/bin/env bash
BIN ?= $(CURDIR)/bin
CONTROLLER_GEN_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
GOLANGCI_LINT := $(BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
GO_TEST_FLAGS ?= -count=1 -timeout 60m -p 1
export HOTPLUG_BIN_DIR := $(BIN)

-include hack/deploy.mk

.PHONY: all help build browser test unit generate manifests docs verify lint controlplane demo bench bench-quick bench-fleet fmt vet tools faults fuzz

all: build

build: ## Build the hotplug binary into bin/.
	go build -o $(BIN)/hotplug ./cmd/hotplug

demo: build controlplane ## Run the local demo (README's first command).
	$(BIN)/hotplug dev

test: controlplane browser verify vet ## Everything CI runs: generated files, vet, unit, integration and e2e tests (three lanes at once, then the fault suite alone: hack/test-lanes.sh), short faults and fuzzing.
	GO_TEST_FLAGS="$(GO_TEST_FLAGS)" ./hack/test-lanes.sh
	FUZZTIME=5s ./hack/fuzz.sh

faults: controlplane ## The whole fault and bad-input suite (20 crash cycles, 60 s outages); figures in faults.log.
	set -o pipefail; HOTPLUG_FAULTS_CYCLES=20 HOTPLUG_FAULTS_OUTAGE=60s go test -count=1 -timeout 90m -v ./test/faults/ 2>&1 | tee faults.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|crash cycles:|corpus:|cycle [0-9]+:|reconverge|refused in|outage'

fuzz: ## Every fuzz target for FUZZTIME (default 1m) each.
	FUZZTIME=$${FUZZTIME:-1m} ./hack/fuzz.sh

unit: ## Pure-logic tests only (no control plane).
	go test -count=1 -short ./...

bench: controlplane ## Benchmarks into bench/RESULTS.md: Go benchmarks, the chart-set run on a simulated cluster (heavy then light set, BENCH_SETS; idle BENCH_IDLE, default 5m), the timeline of one install and upgrade of the heavy monitoring chart, the fleet run (10/50/200 members), agent and hub profiles.
	go run ./hack/bench go
	go run ./hack/bench charts
	go run ./hack/bench timeline
	go run ./hack/benchfleet
	go run ./hack/bench assemble

bench-quick: ## `make bench` with a 1-minute idle period and short Go benchmarks.
	BENCH_IDLE=1m BENCH_GO_TIME=200ms go run ./hack/bench all

bench-fleet: ## Fleet run (part 3 of bench): pivot + hub + 10/50/200 simulated members; writes bench/fleet.md and hub profiles (HOTPLUG_BENCH_FLEET_IDLE=2m, _SIZES, _INTERVAL, _ROUNDS).
	go run ./hack/benchfleet

browser: ## Install Debian's chromium and firefox-esr for the browser tests when they are missing (hack/ensure-browsers.sh).
	./hack/ensure-browsers.sh

controlplane: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok into bin/ (once).
	BIN_DIR=$(BIN) ./hack/build-controlplane.sh

$(CONTROLLER_GEN):
	GOBIN=$(BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(BIN)/controller-gen $@

$(GOLANGCI_LINT):
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(BIN)/golangci-lint $@

generate: $(CONTROLLER_GEN) ## Regenerate deepcopy code.
	$(CONTROLLER_GEN) object paths=./api/...

manifests: $(CONTROLLER_GEN) ## Regenerate the CRDs under config/ and their copy in the chart.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(MAKE) -s chart-crds

# The generated reference pages; `make docs` writes them, `make verify` checks them.
GENERATED_DOCS := docs/cli.md docs/configuration.md

docs: ## Regenerate docs/cli.md (from the cobra commands) and docs/configuration.md (from the CRDs); run after `make manifests`.
	go run ./hack/docgen

verify: generate manifests docs ## Fail when generated files (deepcopy, CRDs, docs/cli.md, docs/configuration.md) differ from the committed ones.
	@git diff --exit-code -- api config deploy/hotplug/crds || { echo "generated files drifted: run 'make generate manifests' and commit"; exit 1; }
	@git diff --exit-code -- $(GENERATED_DOCS) || { echo "generated docs drifted: run 'make docs' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config deploy/hotplug/crds $(GENERATED_DOCS))" || { git status --porcelain -- api config deploy/hotplug/crds $(GENERATED_DOCS); echo "untracked generated files: commit them"; exit 1; }

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	go vet ./...

lint: $(GOLANGCI_LINT) ## golangci-lint v2.
	$(GOLANGCI_LINT) run ./...

help: ## List the targets with what they do.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-zA-Z_-]+):.*## /\1\t/' | sort | awk -F'\t' '{printf "%-20s %s\n", $$1, $$2}'
