#!/usr/bin/env bash
# Compile-check the generated HostABI SDKs: sdk/c/ispc.h with clang for wasm32 and
# sdk/assemblyscript/ispc.ts with asc. Outputs go to ${SDK_CHECK_OUT:-build/sdk-check}; the
# pytest suite (tests/hostabi/test_hostabi_sdk.py) runs the results on wasmtime.
# Needs: clang + lld (apt: clang lld) and node_modules/.bin/asc (npm ci).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${SDK_CHECK_OUT:-$root/build/sdk-check}"
mkdir -p "$out"
cd "$root"

clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--export-dynamic \
  -o "$out/check_c.wasm" tests/hostabi/sdk_check/check.c
echo "ok: sdk/c/ispc.h compiles (clang --target=wasm32) -> $out/check_c.wasm"

"$root/node_modules/.bin/asc" tests/hostabi/sdk_check/check.ts --outFile "$out/check_as.wasm" \
  --optimize --runtime stub --noAssert --exportStart _initialize \
  --use abort=sdk/assemblyscript/ispc/ispc_abort >/dev/null
echo "ok: sdk/assemblyscript/ispc.ts compiles (asc) -> $out/check_as.wasm"
