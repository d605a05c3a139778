#!/bin/sh
# examples/demo.sh: what `make demo` runs. Grows with the product: it will
# start `kdeploy sim`, render an example chart and apply it.
set -eu
KDEPLOY=${1:-./kdeploy}
"$KDEPLOY" version
"$KDEPLOY" run examples/inspect.lua examples/objects.json
