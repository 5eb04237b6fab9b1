# make setup | test | lint | demo | lab-up | lab-down | clean
VENV := .venv
BIN := $(VENV)/bin
export PHILEAK_LAB_DIR ?= $(CURDIR)/.phileak-lab
# The demo runs inside its own network namespace (only lo) when it can: peers such as Orthanc bind all
# interfaces, and the namespace keeps them, and the browser, on loopback.
NETNS = $(shell [ "$$(id -u)" = 0 ] && command -v ip >/dev/null && unshare -n true 2>/dev/null && echo "unshare -n")

.PHONY: setup test lint demo lab-up lab-down clean

setup:
	bash scripts/setup.sh --test

test: setup
	bash scripts/run-tests.sh -q

lint:
	$(BIN)/ruff check src tests
	$(BIN)/mypy

demo:
	bash scripts/setup.sh --demo
	$(NETNS) sh -c '$(if $(NETNS),ip link set lo up && ,)\
	  $(BIN)/phileak lab up && \
	  { $(BIN)/phileak audit "$$PHILEAK_LAB_DIR/plan.toml" --format html --out report.html || [ $$? -eq 1 ]; }; \
	  status=$$?; $(BIN)/phileak lab down; exit $$status'
	@echo "demo: report written to $(CURDIR)/report.html"

lab-up:
	$(BIN)/phileak lab up

lab-down:
	$(BIN)/phileak lab down

clean:
	-[ ! -x $(BIN)/phileak ] || $(BIN)/phileak lab down
	rm -rf "$(PHILEAK_LAB_DIR)" report.html .pytest_cache .mypy_cache .ruff_cache
