#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (scripts/setup.sh), then runs
# mocha with a coverage summary under a virtual display. Exits non-zero when any test fails.
# Needs MariaDB on 127.0.0.1:3306 (root, empty password) for the MySQL half of the integration tests
# (MEETING_TEST_MYSQL_URL overrides) and Redis on 127.0.0.1:6379 for the cluster tests
# (MEETING_TEST_REDIS_URL overrides); starts each if it is installed but down.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh

if [ -z "${MEETING_TEST_MYSQL_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then
  if [ -x /usr/sbin/mariadbd ]; then
    echo "[test] starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null && break; sleep 1; done
  fi
fi

# Redis for the cluster tests (MEETING_TEST_REDIS_URL overrides): started here when down.
if [ -z "${MEETING_TEST_REDIS_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null; then
    echo "[test] starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 1; done
  fi
fi

mkdir -p artifacts
export MEETING_LOG_LEVEL="${MEETING_LOG_LEVEL:-silent}"
# xvfb-run gives the GUI tests a display of their own (-a: a free server number).
exec xvfb-run -a -s "-screen 0 1280x800x24" node_modules/.bin/c8 node_modules/.bin/mocha "$@"
