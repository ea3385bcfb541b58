# The README's commands. `make demo` and `make test` each set up what they need on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-out
# The CPU wheel of torch 2.13.0 lies on the development and CI machines' disk: install it before the
# baselines extra so that pip never pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: demo test check lint bench schemas prompt clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[baselines,dev]'
	touch $@

# The tests also cover the optional extras (transformers, llm, mcp, ray, ONNX export): install them too.
$(VENV)/.installed-all: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[baselines,dev,transformer,llm,mcp,ray,export]'
	touch $@

demo: $(VENV)/.installed
	@echo "== 1. a bundled example profile: phone, 300 examples, 5 ms"
	$(BIN)/advisor recommend --profile examples/profile.toml
	@echo "== 2. the bundled toy dataset (invented, 3 classes), profiled from the data: fine-tuning is refused"
	$(BIN)/python -m advisor.data.toy $(DEMO)
	$(BIN)/advisor recommend --data $(DEMO)/train.jsonl
	@echo "== 3. train the TextCNN baseline to plateau on it (2 seeds): the evidence file"
	$(BIN)/advisor baseline plateau $(DEMO)/train.jsonl --out $(DEMO)/evidence.json --arch textcnn --seeds 2 --fractions 0.5,1.0
	@echo "== 4. the same profile with the evidence: fine-tuning is allowed, with the floor it must beat"
	$(BIN)/advisor recommend --data $(DEMO)/train.jsonl --evidence $(DEMO)/evidence.json

# The whole suite, lint first (so CI, which runs only this, also checks lint and formatting).
test: $(VENV)/.installed-all lint
	$(BIN)/python -m pytest -q

check: $(VENV)/.installed-all
	$(BIN)/python -m pytest -q -m "not slow"

LINTED := advisor rules baselines tests benchmarks examples

lint: $(VENV)/.installed
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/cold_start.py
	$(BIN)/python benchmarks/throughput.py

schemas: $(VENV)/.installed
	$(BIN)/python -m advisor.contracts

prompt: $(VENV)/.installed
	$(BIN)/advisor prompt --out outputs/prompt-text-encoder-picker.md

clean:
	rm -rf $(VENV) build dist *.egg-info $(DEMO)
