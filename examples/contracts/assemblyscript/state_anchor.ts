// state_anchor.ts: the state anchor of examples/contracts/c/state_anchor.c in AssemblyScript
// (same method, input, statuses and effects; see that file for the call format).
import {
  emit_event, set_return_data, tx_add_state_output, STATUS_INVALID_ARGUMENT, STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import { cborUint, INPUT, readInput, readU64, ST_BAD_INPUT, ST_HOST, ST_OK } from "./lib";

const ANCHORED: usize = memory.data<u8>([0x61, 0x6e, 0x63, 0x68, 0x6f, 0x72, 0x65, 0x64]);
const PUBLIC_INPUTS: usize = memory.data(16);
const INDEX: usize = memory.data(4);

export function anchor(): i32 {
  const len = readInput();
  if (len != 73 && len != 105) return ST_BAD_INPUT;
  const version = readU64(INPUT + 32);
  const flag = load<u8>(INPUT + 72);
  const parentLen: u32 = flag ? 32 : 0;
  if (flag > 1 || <u32>len != 73 + parentLen) return ST_BAD_INPUT;
  if ((version == 0) != (parentLen == 0)) return ST_BAD_INPUT;
  store<u8>(PUBLIC_INPUTS, 0x81);
  const n: u32 = 1 + cborUint(PUBLIC_INPUTS + 1, 0, version);
  const st = tx_add_state_output(INPUT, version, INPUT + 40, PUBLIC_INPUTS, n, INPUT + 73,
                                 parentLen, INDEX);
  if (st == STATUS_INVALID_ARGUMENT) return ST_BAD_INPUT;
  if (st != STATUS_OK) return ST_HOST;
  if (emit_event(ANCHORED, 8, INPUT, 40) != STATUS_OK) return ST_HOST;
  return set_return_data(INDEX, 4) == STATUS_OK ? ST_OK : ST_HOST;
}
