# A fresh machine needs only python3.11: uv is bootstrapped into .uv/ with pip when it is not on PATH.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .uv/bin/uv)
VENV_BIN := .venv/bin

.PHONY: install run test lint messages assets lock

install: .venv/.installed

.venv/.installed: pyproject.toml uv.lock $(UV)
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --python $(PYTHON)
	touch $@

.uv/bin/uv:
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# The lock changes only when someone means it to: `make lock` after editing pyproject.toml.
lock: $(UV)
	$(UV) lock --python $(PYTHON)

run: install
	$(VENV_BIN)/chorus up

# pytest exits 5 when it collected nothing: that is a failure too.
test: install
	$(VENV_BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(VENV_BIN)/ruff check chorus bench

messages: install
	cd chorus && ../$(VENV_BIN)/chorus makemessages -l ru --no-obsolete && ../$(VENV_BIN)/chorus compilemessages

assets:
	cd frontend && npm ci && npm run vendor
