# The two commands of the README: `make serve` and `make test`. Both install first (once: the
# stamp file is newer than pyproject.toml until pyproject.toml changes).

VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch first, at the exact pin from pyproject.toml: an unpinned torch pulls a multi-GB CUDA build.
TORCH  := $(shell grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')

.PHONY: install browser serve test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install '$(TORCH)'
	$(BIN)/python -m pip install -e '.[test,ray]'
	HF_HUB_OFFLINE=1 $(BIN)/newsdesk warm
	touch $@

# The demo page's end-to-end test drives Debian's chromium through chromium-driver; installed only when
# missing (CI runs as root). Where it cannot be installed, that test skips and says why.
browser: /usr/bin/chromium /usr/bin/chromedriver

/usr/bin/chromium /usr/bin/chromedriver &:
	(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver) \
	  || echo "make: could not install chromium and chromium-driver; the browser test will skip"

serve: install
	HF_HUB_OFFLINE=1 $(BIN)/newsdesk serve

test: install browser
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(STAMP) .pytest_cache .ruff_cache
