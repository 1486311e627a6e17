# Two commands on a fresh machine: `make demo` (the main job) and `make test`; `make bench` measures speed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# digits gives ~35 steps per epoch: BN's moving statistics need momentum 0.9 to settle in 8 epochs.
DEMO := bn_placement --dataset digits --epochs 8 --seeds 2 --set bn_momentum=0.9 --study-name demo

.PHONY: demo test bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) study.py run $(DEMO)
	$(PY) study.py report bn_placement --study-name demo

# Two test processes: many tests wait on subprocesses, start-up and graph tracing, which overlap well.
test: $(STAMP)
	$(PY) -m pytest -q -n 2

bench: $(STAMP)  # about 45 minutes on 2 cores; writes benchmarks/results/latest.json and latest.md
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m benchmarks

clean:
	rm -rf runs/reports
