# Two entry points: `make run` (the demo centre on http://127.0.0.1:8000; another port with
# `make run PORT=8080`) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 8000

.PHONY: run test lint system-deps prompts clean

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

# The revisit call's prompts (espeak-ng Mandarin), to copy into Asterisk's sounds/zh
# (docs/telephony.md, "Revisit prompts"). PROMPTS_DIR may already hold a city's recordings.
PROMPTS_DIR ?= build/sounds/zh
prompts: $(BIN)/hotline system-deps
	$(BIN)/python -m telephony.prompts build $(PROMPTS_DIR) --keep

lint: $(BIN)/hotline
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(BIN)/hotline system-deps lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache hotline.db*
