#!/usr/bin/env bash
# Launches the system: installs what is missing, starts the server on the embedded SQLite database
# (./data) and opens the desktop client against it. Without a display only the server runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
PORT="${MEETING_PORT:-47800}"
node bin/meeting.js server --port "$PORT" --data "${MEETING_DATA:-data}" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
if [ -n "${DISPLAY:-}" ] && [ -f dist/client/ui/main.js ]; then
  node bin/meeting.js client --server "127.0.0.1:$PORT"
else
  echo "[start] no display: server only (Ctrl-C to stop)"
  wait $server
fi
