# One command sets everything up and runs the default scenario; one sets up and runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

# the real public files the examples and the data tests read (see README.md, Example data)
SHARED_DATA ?= ../shared/data

.PHONY: run test lint bench clean data forecast-example

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the README's commands need Ray (`--workers 2`), matplotlib (`regional plot`), plotly
# (`regional report`), statsmodels (`regional calibrate`), openpyxl (xlsx) and Solara (`regional app`) too
$(VENV)/.installed-run: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[ray,plot,report,forecast,tables,app]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/regional run $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	RAY_AUTH_MODE=disabled RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# copies the example files into data/ (git-ignored) from SHARED_DATA where it exists
data:
	@if [ -d "$(SHARED_DATA)" ]; then \
		mkdir -p data && cp -R "$(SHARED_DATA)/." data/ && \
		echo "data/: copied from $(SHARED_DATA); run the examples with" \
			"REGIONAL_SHARED_DATA=$(CURDIR)/data (the tests find data/ themselves)"; \
	else \
		echo "$(SHARED_DATA): not found; put the files of README.md's table (Example data)" \
			"into data/, or give SHARED_DATA=/path/to/shared/data" >&2; \
		exit 2; \
	fi

# the forecast example's data (examples/forecast/README.md): a run of truth.yaml made into an
# admissions history (5% of admissions unreported), daily censuses, and the census of 9 June
# as CSV and FHIR; REGIONAL is the command (e.g. REGIONAL="python -m regional")
REGIONAL ?= $(BIN)/regional
FORECAST_TMP ?= $(CURDIR)/.forecast-example
forecast-example:
	rm -rf "$(FORECAST_TMP)"
	$(REGIONAL) run examples/forecast/truth.yaml --quiet --out "$(FORECAST_TMP)/truth"
	$(REGIONAL) history "$(FORECAST_TMP)/truth" --out "$(FORECAST_TMP)/history" \
		--report-share 0.95 --seed 1 --census-at 2025-06-09T00:00:00Z
	cp "$(FORECAST_TMP)"/history/* examples/forecast/
	rm -rf "$(FORECAST_TMP)"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
