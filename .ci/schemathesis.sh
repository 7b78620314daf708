#!/usr/bin/env bash
# Fuzz the web API against its own OpenAPI schema (schemathesis), on a live server with a real model,
# then the Teach routes on a server started with --teach on a temporary project (writes with the token).
# Every check runs except positive_data_acceptance (a schema cannot say "a decodable image"); any failure,
# any 5xx answer or any traceback in the server's log fails. Bounded: about a minute on 2 cores.
#   bash .ci/schemathesis.sh            (needs: pip install -e ".[test,web]")
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
server=""
teach=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -n "$teach" ] && kill "$teach" 2>/dev/null
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

# a real model: mlp128 on 2,000 shipped MNIST images, one epoch (seconds)
python -m nnzero train mnist --model mlp128 --epochs 1 --limit 2000 --name fuzz --runs-dir "$work" --quiet
free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # port, pid, log
  for _ in $(seq 240); do
    python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$1/healthz', timeout=1)" \
      2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3"; exit 1; }
    sleep 0.5
  done
  cat "$3"; exit 1
}
port="$(free_port)"
python -m nnzero serve --model "$work/fuzz/best.pt" --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server=$!
wait_for "$port" "$server" "$work/server.log"

status=0
timeout 240 st run "http://127.0.0.1:$port/openapi.json" --checks all --exclude-checks positive_data_acceptance \
  --max-examples "${NNZERO_FUZZ_EXAMPLES:-100}" --workers 2 --seed 14 --max-failures 20 || status=$?

# The Teach routes: a project seeded with two classes of real digits (so that Train can succeed), the token
# sent on every request (schemathesis also checks that the routes declaring it refuse requests without it).
tport="$(free_port)"
python -m nnzero teach "$work/project" --model "$work/fuzz/best.pt" --port "$tport" --token fuzz-token \
  >"$work/teach.log" 2>&1 &
teach=$!
wait_for "$tport" "$teach" "$work/teach.log"
python - "$tport" <<'PY'
import io, sys, urllib.request, uuid
from PIL import Image
from nnzero.datasets.mnist import load_arrays
images, labels = load_arrays("test")
for digit in (0, 1):
    for array in images[labels == digit][:6]:
        buffer = io.BytesIO()
        Image.fromarray(array).resize((96, 96)).save(buffer, format="PNG")
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{sys.argv[1]}/api/teach/examples?label={digit}", data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": "Bearer fuzz-token"})
        urllib.request.urlopen(request, timeout=30).read()
PY
# A Train call fits a head on EfficientNet-Lite0 features (seconds, more on a busy machine): wait for it.
timeout 480 st run "http://127.0.0.1:$tport/openapi.json" --checks all --exclude-checks positive_data_acceptance \
  --include-path-regex '^/api/teach' --exclude-path /api/teach/train -H "Authorization: Bearer fuzz-token" \
  --request-timeout 120 --max-response-time 120 \
  --max-examples "${NNZERO_FUZZ_EXAMPLES:-100}" --workers 2 --seed 22 --max-failures 20 || status=$?
# Train takes no input, and every call writes a run folder: a few calls, not a hundred.
timeout 300 st run "http://127.0.0.1:$tport/openapi.json" --checks all --exclude-checks positive_data_acceptance \
  --include-path /api/teach/train -H "Authorization: Bearer fuzz-token" --request-timeout 120 \
  --max-response-time 120 --max-examples 3 --workers 1 --seed 22 --max-failures 20 || status=$?

for log in "$work/server.log" "$work/teach.log"; do
  if grep -q "Traceback" "$log"; then
    echo "schemathesis: the server logged a traceback ($log):"; cat "$log"; status=1
  fi
done
exit "$status"
