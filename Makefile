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
	$(BIN)/flask chat import
	$(BIN)/flask observations import
	$(BIN)/flask demo load

## make run: set everything up and serve the portal with demo data on http://$(HOST):$(PORT)
run: translations demo
	@echo "Serving on http://$(HOST):$(PORT)  (demo log-ins above; password: portal-demo)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Service and view suites that run a second time on PostgreSQL (a fresh schema per test).
PG_SUITE := tests/auth/test_services.py tests/auth/test_views.py tests/auth/test_throttling.py \
	tests/admin/test_services.py \
	tests/courses/test_services_and_views.py tests/courses/test_checklist.py \
	tests/courses/test_dead_ends.py tests/progress/test_my_results.py \
	tests/exams/test_attempt_services.py tests/exams/test_attempt_views.py \
	tests/exams/test_grading.py tests/exams/test_reliability.py tests/exams/test_staff_views.py \
	tests/exams/test_shipped_banks.py tests/exams/test_records_for_a_cohort.py tests/progress/test_services.py \
	tests/banks/test_services.py tests/banks/test_form_editor.py tests/authoring/test_services.py \
	tests/chat/test_attempt_services.py tests/chat/test_views.py tests/chat/test_concurrency.py \
	tests/chat/test_review_services.py tests/chat/test_staff_views.py \
	tests/banks/test_lint_views.py tests/exams/test_blueprints.py tests/exams/test_import_statements.py \
	tests/exams/test_import_known_files.py \
	tests/observations/test_services.py tests/observations/test_views.py \
	tests/courses/test_assessment_standings.py tests/home/test_staff_home.py \
	tests/content/test_stage_definitions.py \
	tests/probation/test_services.py tests/probation/test_append_only.py tests/probation/test_views.py \
	tests/placement/test_services.py tests/placement/test_views.py \
	tests/cohorts/test_services.py tests/cohorts/test_views.py tests/cohorts/test_decisions.py \
	tests/analytics/test_exam_report.py tests/analytics/test_exam_views.py \
	tests/analytics/test_chat_service.py tests/analytics/test_chat_views.py \
	tests/analytics/test_cohort_service.py tests/analytics/test_cohort_views.py \
	tests/web/test_database_outage.py tests/web/test_write_intent.py

## make test: set everything up and run the whole test suite
test: install-test
	$(BIN)/pybabel -q compile --use-fuzzy -d portal/translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$PORTAL_TEST_POSTGRES_URL" ] || [ "$$CI" = true ]; then \
		echo "== the service and view suites again, on PostgreSQL =="; \
		PORTAL_TEST_DB=postgres $(BIN)/python -m pytest -q $(PG_SUITE); \
	else \
		echo "PostgreSQL suites skipped: PORTAL_TEST_POSTGRES_URL is not set (see .ci/run)"; \
	fi

bench: install-test translations
	$(BIN)/python -m bench

lint: install-test
	$(BIN)/ruff check portal tests

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
