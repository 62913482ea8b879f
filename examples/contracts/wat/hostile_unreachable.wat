;; Hostile: emits an event, then traps. Expected: Trap (unreachable); the event is not kept.
(module
  (import "ispc.v1" "emit_event" (func $emit_event (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "before-trap")
  (func (export "run") (result i32)
    (drop (call $emit_event (i32.const 0) (i32.const 11) (i32.const 0) (i32.const 0)))
    unreachable))
