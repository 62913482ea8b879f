// events.ts: the event emitter of examples/contracts/c/events.c in AssemblyScript (same method,
// input, statuses and effects; see that file for the call format).
import {
  emit_event, log_debug, set_return_data, STATUS_INVALID_ARGUMENT, STATUS_LIMIT_REACHED,
  STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import { INPUT, readInput, ST_BAD_INPUT, ST_HOST, ST_OK } from "./lib";

const SUMMARY: usize = memory.data<u8>([   // "events emitted"
  0x65, 0x76, 0x65, 0x6e, 0x74, 0x73, 0x20, 0x65, 0x6d, 0x69, 0x74, 0x74, 0x65, 0x64]);
const COUNT: usize = memory.data(4);

export function emit(): i32 {
  const len = readInput();
  if (len < 0) return ST_BAD_INPUT;
  const end = <u32>len;
  let pos: u32 = 0, count: u32 = 0;
  while (pos < end) {
    const typeLen = <u32>load<u8>(INPUT + pos);
    if (typeLen == 0 || pos + 1 + typeLen + 2 > end) return ST_BAD_INPUT;
    const dataLen = <u32>load<u8>(INPUT + pos + 1 + typeLen)
      | (<u32>load<u8>(INPUT + pos + 2 + typeLen) << 8);
    if (pos + 3 + typeLen + dataLen > end) return ST_BAD_INPUT;
    const st = emit_event(INPUT + pos + 1, typeLen, INPUT + pos + 3 + typeLen, dataLen);
    if (st == STATUS_INVALID_ARGUMENT) return ST_BAD_INPUT;
    if (st != STATUS_OK) return ST_HOST;
    pos += 3 + typeLen + dataLen;
    count++;
  }
  store<u32>(COUNT, count);
  const st = log_debug(SUMMARY, 14);
  if (st != STATUS_OK && st != STATUS_LIMIT_REACHED) return ST_HOST;
  return set_return_data(COUNT, 4) == STATUS_OK ? ST_OK : ST_HOST;
}
