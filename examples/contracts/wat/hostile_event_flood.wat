;; Hostile: emits events until something stops it. Expected: DraftLimitExceeded (max_events),
;; the run aborted and no event kept.
(module
  (import "ispc.v1" "emit_event" (func $emit_event (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "spam")
  (func (export "run") (result i32)
    (loop $again
      (drop (call $emit_event (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 64)))
      (br $again))
    (i32.const 0)))
