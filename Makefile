# The two commands: `make run` (serve with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := portal

.PHONY: run test install install-test translations db demo bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile --use-fuzzy -d portal/translations

db: $(VENV)/.installed
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask content import
	$(BIN)/flask exams import
	$(BIN)/flask demo load

## make run: set everything up and serve the portal with demo data on http://$(HOST):$(PORT)
run: translations demo
	@echo "Serving on http://$(HOST):$(PORT)  (demo log-ins above; password: portal-demo)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## make test: set everything up and run the whole test suite
test: install-test
	$(BIN)/pybabel -q compile --use-fuzzy -d portal/translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-test translations
	$(BIN)/python -m bench

lint: install-test
	$(BIN)/ruff check portal tests

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
