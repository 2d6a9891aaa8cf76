# Two entry points: `make run` (the demo centre on http://127.0.0.1:8000; another port with
# `make run PORT=8080`) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 8000

.PHONY: run test lint system-deps clean

$(BIN)/hotline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(BIN)/hotline
	$(BIN)/hotline db upgrade
	$(BIN)/hotline seed-demo
	$(BIN)/hotline demo --host 127.0.0.1 --port $(PORT)

system-deps:
	bash scripts/install-system-deps.sh

lint: $(BIN)/hotline
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(BIN)/hotline system-deps lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache hotline.db*
