;; Attacker: spends whatever outpoint the call input names (canonical OutPoint encoding) and pays
;; nothing back. Methods: "steal" returns the host's tx_add_input status as its own (a refusal
;; ends the run, draft discarded); "steal_quietly" ignores the status and returns 0 (the draft
;; then holds no input). Return data: the status (u32 LE). Expected: INPUT_NOT_AUTHORIZED (9) for
;; any output the signers or this contract may not spend (docs/authorization.md).
(module
  (import "ispc.v1" "call_input" (func $call_input (param i32 i32 i32) (result i32)))
  (import "ispc.v1" "tx_add_input" (func $tx_add_input (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "ispc.v1" "set_return_data" (func $set_return_data (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; input at 0 (cap 128), its length at 256, the new input's index at 260, the status at 264
  (func $try (result i32) (local $st i32)
    (drop (call $call_input (i32.const 0) (i32.const 128) (i32.const 256)))
    (local.set $st (call $tx_add_input (i32.const 0) (i32.load (i32.const 256)) (i32.const 0)
                                       (i32.const 0) (i32.const 0) (i32.const 260)))
    (i32.store (i32.const 264) (local.get $st))
    (drop (call $set_return_data (i32.const 264) (i32.const 4)))
    (local.get $st))
  (func (export "steal") (result i32) (call $try))
  (func (export "steal_quietly") (result i32) (drop (call $try)) (i32.const 0)))
