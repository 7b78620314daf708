#!/usr/bin/env bash
# Fuzz the web API against its own OpenAPI schema (schemathesis), on a live server with a real model.
# Every check runs except positive_data_acceptance (a schema cannot say "a decodable image"); any failure,
# any 5xx answer or any traceback in the server's log fails. Bounded: about a minute on 2 cores.
#   bash .ci/schemathesis.sh            (needs: pip install -e ".[test,web]")
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# a real model: mlp128 on 2,000 shipped MNIST images, one epoch (seconds)
python -m nnzero train mnist --model mlp128 --epochs 1 --limit 2000 --name fuzz --runs-dir "$work" --quiet
port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python -m nnzero serve --model "$work/fuzz/best.pt" --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 120); do
  python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" \
    2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done

status=0
timeout 240 st run "http://127.0.0.1:$port/openapi.json" --checks all --exclude-checks positive_data_acceptance \
  --max-examples "${NNZERO_FUZZ_EXAMPLES:-100}" --workers 2 --seed 14 --max-failures 20 || status=$?
if grep -q "Traceback" "$work/server.log"; then
  echo "schemathesis: the server logged a traceback:"; cat "$work/server.log"; status=1
fi
exit "$status"
