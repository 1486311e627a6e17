# Two commands on a fresh machine: `make demo` (the main job) and `make test`. `make test-fast` runs the unit tier
# (under a minute), `make lint` the formatter, linter and type checker (CI runs it), `make docs` the documentation
# site into site/ (CI runs it: --strict, the reference pages generated from the code), `make bench` measures speed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Does batch norm help a short run (2 epochs) on digits? Decided as it trains (--seeds auto: 3 to 5 paired seeds per
# level, about a minute on 2 cores), so the report leads with a decision. digits gives ~35 steps per epoch: BN's
# moving statistics need momentum 0.9 to settle in 2 epochs (0.9^70 of their start left).
DEMO := bn_placement --dataset digits --epochs 2 --seeds auto --max-seeds 5 --set bn_momentum=0.9 --study-name demo

.PHONY: demo test test-fast lint docs bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,lint,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ablation-suite run $(DEMO)
	$(VENV)/bin/ablation-suite report bn_placement --study-name demo

# Two test processes: many tests wait on subprocesses, start-up and graph tracing, which overlap well.
# pytest is started as its own script, not `python -m pytest`, so the checkout is not on sys.path: every
# test imports the installed package. --durations: every run ends with its slowest tests, where time is to be won.
test: $(STAMP)
	$(VENV)/bin/pytest -q -n 2 --durations=30

test-fast: $(STAMP)
	$(VENV)/bin/pytest -q -n 2 -m unit

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# --strict: a broken link, a page missing from the nav or a reference page that cannot be generated fails the build.
# NO_MKDOCS_2_WARNING: mkdocs-material's notice about its successor, printed on every build, is not ours to act on.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

bench: $(STAMP)  # about 45 minutes on 2 cores; writes benchmarks/results/latest.json and latest.md
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m benchmarks

clean:
	rm -rf runs/reports
