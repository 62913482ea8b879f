;; Hostile: sets 1 MiB of return data. Expected: LimitExceeded (return-too-large), run aborted.
(module
  (import "ispc.v1" "set_return_data" (func $set_return_data (param i32 i32) (result i32)))
  (memory (export "memory") 17)
  (func (export "run") (result i32)
    (call $set_return_data (i32.const 0) (i32.const 1048576))))
