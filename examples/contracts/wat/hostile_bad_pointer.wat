;; Hostile: passes pointers outside linear memory to host functions. The host must not crash or
;; read anything: each call returns OUT_OF_BOUNDS (3), which the method returns as its status.
;; Expected: ContractFailed with status 3, nothing in the draft.
(module
  (import "ispc.v1" "set_return_data" (func $set_return_data (param i32 i32) (result i32)))
  (import "ispc.v1" "emit_event" (func $emit_event (param i32 i32 i32 i32) (result i32)))
  (import "ispc.v1" "call_input" (func $call_input (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "evt")
  (func (export "run") (result i32)
    (local $st i32)
    ;; length running past the end of memory
    (local.set $st (call $set_return_data (i32.const 65000) (i32.const 1000)))
    (if (i32.ne (local.get $st) (i32.const 3)) (then (return (i32.const 100))))
    ;; pointer at 4 GiB - 1 (wraps in 32 bits if the host is careless)
    (local.set $st (call $emit_event (i32.const 0) (i32.const 3) (i32.const -1) (i32.const 2)))
    (if (i32.ne (local.get $st) (i32.const 3)) (then (return (i32.const 101))))
    ;; output length pointer outside memory
    (call $call_input (i32.const 0) (i32.const 16) (i32.const 70000))))
