# The two commands of the README: `make serve` and `make test`. Both install first (once: the
# stamp file is newer than pyproject.toml until pyproject.toml changes).

VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch first, at the exact pin from pyproject.toml: an unpinned torch pulls a multi-GB CUDA build.
TORCH  := $(shell grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')

.PHONY: install serve test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install '$(TORCH)'
	$(BIN)/python -m pip install -e '.[test,ray]'
	touch $@

serve: install
	HF_HUB_OFFLINE=1 $(BIN)/newsdesk serve

test: install
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(STAMP) .pytest_cache .ruff_cache
