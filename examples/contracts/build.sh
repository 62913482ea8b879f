#!/usr/bin/env bash
# Build the example contracts from source: C with clang + lld (wasm32, MVP), AssemblyScript with
# asc (node_modules/.bin/asc), and check the WAT fixtures with wat2wasm when wabt is installed.
# Output: examples/contracts/build/<name>_c.wasm and <name>_as.wasm (override with OUT=...).
#   apt-get install clang lld wabt     npm ci (assemblyscript, from the repo's package.json)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${OUT:-$HERE/build}"
CLANG="${CLANG:-clang}"
ASC="${ASC:-$ROOT/node_modules/.bin/asc}"
CONTRACTS=(token registry state_anchor events)
# Contracts using contract storage (ispc.state; sdk/c/ispc_state.h, sdk/assemblyscript/state.ts).
STORAGE_C=(counter names nft dao)
STORAGE_AS=(counter names nft dao)
mkdir -p "$OUT"

# -mcpu=mvp pins the instruction set (no bulk memory, sign-ext, SIMD ...): the engines reject
# post-MVP proposals. No libc, no start function, memory exported by wasm-ld by default.
for name in "${CONTRACTS[@]}" "${STORAGE_C[@]}"; do
  "$CLANG" --target=wasm32 -mcpu=mvp -O2 -nostdlib -ffreestanding -Wall -Wextra -Werror \
    -Wno-unused-function -I "$ROOT/sdk/c" -I "$HERE/c" \
    -Wl,--no-entry -Wl,-z,stack-size=65536 -Wl,--strip-all \
    -o "$OUT/${name}_c.wasm" "$HERE/c/$name.c"
  echo "built $OUT/${name}_c.wasm"
done

# --runtime stub and no allocations: no GC, no start function; --use abort=... so nothing imports
# env.abort (an abort traps instead). Default features only (no --enable).
for name in "${CONTRACTS[@]}" "${STORAGE_AS[@]}"; do
  # asc resolves the --use path relative to the working directory, without an extension.
  (cd "$ROOT" && "$ASC" "$HERE/assemblyscript/$name.ts" -o "$OUT/${name}_as.wasm" -O3 \
    --runtime stub --use abort=sdk/assemblyscript/ispc/ispc_abort)
  echo "built $OUT/${name}_as.wasm"
done

if command -v wat2wasm >/dev/null; then
  for wat in "$HERE"/wat/*.wat; do
    case "$(basename "$wat")" in
      malformed_*) continue ;;        # deliberately invalid fixtures
    esac
    wat2wasm --disable-bulk-memory --disable-sign-extension --disable-saturating-float-to-int \
      --disable-multi-value --disable-reference-types -o /dev/null "$wat"
  done
  echo "checked $HERE/wat/*.wat"
fi
