# Two commands matter: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: install model run test lint bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned requirements

model: install  ## train and register final_model when no champion exists yet
	$(BIN)/python -m model_store train --if-no-champion

run: model  ## start the dashboard on http://localhost:$(PORT)
	$(BIN)/streamlit run server.py --server.headless true --server.port $(PORT)

test: install  ## the whole test suite (PostgreSQL and browser tests need TEST_DATABASE_URL, chromium)
	$(BIN)/python -m pytest

messages: install  ## extract the interface texts again and merge them into locales/*/messages.po
	mkdir -p build
	$(BIN)/pybabel extract --add-location=file --sort-by-file --project="Clinic risk dashboard" \
		--omit-header -o build/messages.pot app.py views components clinic model_store
	$(BIN)/pybabel update -i build/messages.pot -d locales -D messages --no-wrap --ignore-obsolete

lint: install  ## ruff, then the layer contracts in pyproject.toml (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache build
