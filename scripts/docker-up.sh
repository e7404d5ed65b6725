#!/usr/bin/env bash
# Sourced by scripts/test.sh: makes a Docker engine available for the test servers. Starts
# dockerd when none answers (and stops that one on exit), then builds the test images from
# Debian's binaries. Without an engine the tests fall back to child processes, loudly; under CI
# that is an error, since CI must exercise the container path.
docker_ok() { docker info >/dev/null 2>&1; }

if ! docker_ok && command -v dockerd >/dev/null 2>&1; then
  echo "setup: starting dockerd (log: /tmp/quiver-dockerd.log)"
  dockerd >/tmp/quiver-dockerd.log 2>&1 &
  QUIVER_DOCKERD_PID=$!
  trap 'kill "$QUIVER_DOCKERD_PID" 2>/dev/null; wait "$QUIVER_DOCKERD_PID" 2>/dev/null' EXIT
  for _ in $(seq 1 60); do docker_ok && break; sleep 0.5; done
fi

if docker_ok; then
  bash libs/testing/images/nats-server/build.sh >/dev/null
  bash libs/testing/images/prometheus/build.sh >/dev/null
  export QUIVER_TEST_SERVERS=container
elif [ "${CI:-}" = "true" ]; then
  echo "setup: no Docker engine could be started (see /tmp/quiver-dockerd.log); CI runs test servers in containers" >&2
  exit 1
else
  echo "setup: WARNING: no Docker engine; test servers will run as child processes" >&2
  export QUIVER_TEST_SERVERS=process
fi
