#!/bin/sh
# examples/demo.sh: what `make demo` runs. Starts `kdeploy sim`, renders the
# example chart examples/hello and deploys it with the Lua flow in
# examples/deploy.lua (server-side apply, then follows the Deployment until
# it is ready, with its pods' logs), then stops the sim.
set -eu
KDEPLOY=${1:-./kdeploy}
dir=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$KDEPLOY" version
"$KDEPLOY" sim --kubeconfig "$dir/kubeconfig" >"$dir/sim.out" 2>"$dir/sim.err" &
sim_pid=$!
i=0
until [ -s "$dir/kubeconfig" ]; do
  i=$((i + 1))
  if [ "$i" -gt 100 ] || ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "demo: kdeploy sim did not start:" >&2
    cat "$dir/sim.err" >&2
    exit 1
  fi
  sleep 0.1
done
echo "kdeploy sim is up ($(grep -m1 'server:' "$dir/kubeconfig" | tr -d ' '))"
echo
"$KDEPLOY" run --kubeconfig "$dir/kubeconfig" examples/deploy.lua \
  examples/hello demo demo
