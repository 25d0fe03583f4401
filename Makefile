# `make run` and `make test` are the only commands a user needs on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the package metadata changes.
$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/acset-s2r run

# the suite, every notebook, and the Examples in the package's docstrings
test: $(STAMP)
	$(PY) -m pytest -n 2 --doctest-modules acset_s2r tests --nbmake notebooks

# engine.py first (issue 2's figures), then every other bench/*.py; stop at the first failure.
bench: $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	@set -e; for f in bench/engine.py $(filter-out bench/engine.py,$(sort $(wildcard bench/*.py))); do \
		echo "== $$f"; $(PY) $$f; echo; done

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
