# The two commands a newcomer runs:
#   make demo   local MariaDB primary/replica + HAProxy + TLS, then the bootstrap
#   make test   the whole test suite (what .ci/run calls)
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: demo test unit integration lint typecheck check system-deps venv down clean

$(VENV_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV_STAMP)

# Debian packages the local environment and the integration tests need.
system-deps:
	./scripts/install-system-deps.sh

demo: system-deps venv
	$(PY) -m scripts.local_env up
	$(PY) -m scripts.bootstrap --outputs .local/outputs.json
	$(PY) -m scripts.local_env status

down: venv
	$(PY) -m scripts.local_env down

unit: venv
	$(PY) -m pytest tests/unit -q

integration: system-deps venv
	$(PY) -m pytest tests/integration -q

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: venv
	$(PY) -m mypy

test: system-deps venv lint typecheck
	$(PY) -m pytest -q

# down first: deleting .local under running servers would orphan them. Without the venv
# (not made yet) the system python3 runs it: stopping needs only the standard library.
# If down fails, make stops here and .local stays, so down can be run again.
clean:
	@if [ -d .local ]; then \
		if [ -x $(PY) ]; then $(PY) -m scripts.local_env --state-dir .local down; \
		else python3 -m scripts.local_env --state-dir .local down; fi; \
	fi
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
