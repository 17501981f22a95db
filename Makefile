# govmedia — the commands a newcomer and CI use. See README.md (Setup) and docs/deploy.md.
#
#   make run            set up, migrate, load the demo, serve http://127.0.0.1:8000
#                       (PORT=8001 for another port); run_due every minute until it stops
#   make test           the layer contracts (lint-imports), then the whole suite on SQLite
#                       with in-process jobs
#   make test-services  the whole suite on PostgreSQL + Redis + a real Celery worker and beat
#   make lint           ruff, mypy (services, selectors and nodes; django-stubs) and
#                       lint-imports (the layer contracts of DESIGN.md §3, in pyproject.toml)
#
# Setup (scripts/bootstrap.sh) installs missing Debian packages when run as root,
# creates .venv and installs the project when pyproject.toml changed.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTEST_ARGS ?=
export DJANGO_ALLOW_ASYNC_UNSAFE := true

.PHONY: run test test-services lint setup setup-services messages services-start services-stop

setup:
	@scripts/bootstrap.sh

setup-services:
	@scripts/bootstrap.sh --services

messages:
	$(MANAGE) compilemessages --ignore=.venv --ignore=var --ignore=node_modules -v 0

# make run PORT=8001 serves on another port (and HOST=0.0.0.0 on every interface).
PORT ?= 8000
HOST ?= 127.0.0.1

run: setup messages
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	@mkdir -p var
	@# run_due every 60 s in the background while the server runs; the loop ends with the
	@# server (scripts/run.sh: a trap on exit, Ctrl-C or a kill stops it).
	@GOVMEDIA_BASE_URL="$${GOVMEDIA_BASE_URL:-http://$(HOST):$(PORT)}" scripts/run.sh $(HOST) $(PORT)

test: setup messages
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/pytest -q -m "not services" $(PYTEST_ARGS)

test-services: setup-services messages
	@scripts/test-services.sh $(PYTEST_ARGS)

# All three run; lint fails when any of them does.
lint: setup
	@status=0; \
	echo "== ruff"; $(VENV)/bin/ruff check . || status=1; \
	echo "== mypy"; $(VENV)/bin/mypy || status=1; \
	echo "== lint-imports"; $(VENV)/bin/lint-imports --no-logo || status=1; \
	exit $$status

services-start: setup-services
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop
