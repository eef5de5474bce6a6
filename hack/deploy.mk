# Deployment targets; the main Makefile includes this file (`-include hack/deploy.mk`).
IMAGE ?= ghcr.io/kubecube-io/hotplug:dev
CHART_BUNDLE_IMAGE ?= ghcr.io/kubecube-io/hotplug-charts:dev
# Directory of the chart packages (.tgz) baked into the chart-bundle image.
CHART_BUNDLE_DIR ?= charts
CHART_DIR := deploy/hotplug

.PHONY: image chart-bundle-image chart-crds verify-chart

image: ## Build the hotplug image (needs a container engine; skipped without one).
	@if docker info >/dev/null 2>&1; then \
		docker build -t $(IMAGE) -f Dockerfile . ; \
	else \
		echo "image: no container engine is available (docker info failed); not building $(IMAGE)"; \
	fi

chart-bundle-image: ## Build a chart-bundle image from $(CHART_BUNDLE_DIR)/*.tgz (skipped without a container engine).
	@if docker info >/dev/null 2>&1; then \
		docker build -t $(CHART_BUNDLE_IMAGE) -f hack/chart-bundle.Dockerfile $(CHART_BUNDLE_DIR) ; \
	else \
		echo "chart-bundle-image: no container engine is available (docker info failed); not building $(CHART_BUNDLE_IMAGE)"; \
	fi

chart-crds: ## Copy the generated CRDs into the Helm chart.
	rm -f $(CHART_DIR)/crds/*.yaml
	mkdir -p $(CHART_DIR)/crds
	cp config/crd/bases/*.yaml $(CHART_DIR)/crds/

verify-chart: ## Fail when the chart's CRDs differ from config/crd/bases.
	@diff -r config/crd/bases $(CHART_DIR)/crds || { echo "deploy/hotplug/crds drifted from config/crd/bases: run 'make chart-crds'"; exit 1; }
