# distillshield developer entry points. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Extras the whole test suite needs on top of dev (the CPU torch build for provenance tests, among others).
TEST_EXTRAS ?= dev,provenance,spark
DEMO_DIR ?= demo-out

.PHONY: setup demo test check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[$(TEST_EXTRAS)]'
	touch $(TEST_STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/distillshield simulate --out $(DEMO_DIR)/data --scale 0.2 --seed 7
	$(BIN)/distillshield scan $(DEMO_DIR)/data/traffic.jsonl.gz --out $(DEMO_DIR)/scan
	$(BIN)/distillshield evaluate $(DEMO_DIR)/data/labels.csv $(DEMO_DIR)/scan
	@echo "Report: $(DEMO_DIR)/scan/report.html"

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n 2

check: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python bench/bench_scale.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_spark.py --rows 1000000 --driver-memory 6g
	$(BIN)/python bench/bench_detection.py
	$(BIN)/python bench/bench_gateway.py
	$(BIN)/python bench/bench_watermark.py
	$(BIN)/python bench/bench_provenance_tf.py --e2e
	$(BIN)/python bench/bench_intel.py
	$(BIN)/python bench/bench_evidence.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
