// Compile check for sdk/assemblyscript/ispc.ts (built by scripts/check_sdk.sh, run by
// tests/hostabi/test_hostabi_sdk.py with wasmtime and the real ispc.v1 provider).
import {
  STATUS_OK, STATUS_BUFFER_TOO_SMALL, call_input, set_return_data, block_height, caller,
  crypto_sha256,
} from "../../../sdk/assemblyscript/ispc";

// Return the SHA-256 of the call input followed by the caller and the block height (u64 LE).
export function digest_input(): i32 {
  const lenBox = new ArrayBuffer(4);
  const lenPtr = changetype<usize>(lenBox);
  let status = call_input(0, 0, lenPtr);
  if (status != STATUS_BUFFER_TOO_SMALL && status != STATUS_OK) return 100 + status;
  const len = load<u32>(lenPtr);
  const input = new ArrayBuffer(<i32>len);
  status = call_input(changetype<usize>(input), len, lenPtr);
  if (status != STATUS_OK) return 100 + status;
  const out = new ArrayBuffer(72);
  const outPtr = changetype<usize>(out);
  status = crypto_sha256(changetype<usize>(input), len, outPtr);
  if (status != STATUS_OK) return 100 + status;
  status = caller(outPtr + 32);
  if (status != STATUS_OK) return 100 + status;
  store<u64>(outPtr + 64, block_height());
  return set_return_data(outPtr, 72);
}
