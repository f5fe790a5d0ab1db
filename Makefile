# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# A project-local uv (pinned) builds .venv from the committed uv.lock.

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/clusterpath
DEMO_DATA := data/demo
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false

.PHONY: env browser demo test lint format clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --compile-bytecode
	touch $@

env: $(VENV)/.synced

# Headless Chromium and a CJK font (Debian packages) for report PDFs and the browser tests.
browser:
	@{ command -v chromium && fc-list :lang=zh | grep -q .; } >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    chromium fonts-wqy-microhei; }

demo: env browser
	$(CLI) simulate --out $(DEMO_DATA) --clusters 300 --years 2019-2023 --seed 0
	$(CLI) validate $(DEMO_DATA)
	$(CLI) features $(DEMO_DATA) --out $(DEMO_DATA)/features.parquet
	$(CLI) train $(DEMO_DATA) --features $(DEMO_DATA)/features.parquet --register
	$(CLI) score $(DEMO_DATA) --features $(DEMO_DATA)/features.parquet --out $(DEMO_DATA)/scores
	$(CLI) report $(DEMO_DATA)/scores --out $(DEMO_DATA)/reports-en --lang en
	$(CLI) report $(DEMO_DATA)/scores --out $(DEMO_DATA)/reports

lint: env
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: env
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

test: lint browser
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) $(TOOLS) $(DEMO_DATA)
