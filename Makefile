# Two commands on a fresh machine:
#   make train   set everything up, then train an MLP on the bundled digits data
#   make test    set everything up, then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test train bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,train,onnx]"
	@command -v dot >/dev/null 2>&1 || sh .ci/install-graphviz.sh
	touch $(STAMP)

setup: $(STAMP)

# one BLAS thread per test worker: two workers already use both cores, and oversubscribed
# OpenBLAS threads spin (10x slower)
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 tests

train: $(STAMP)
	$(BIN)/python -m ndgrad.train $(ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
