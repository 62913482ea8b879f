;; Hostile: unbounded recursion. Expected: StackExhausted.
(module
  (memory (export "memory") 1)
  (func $down (param $n i64) (result i64)
    (i64.add (call $down (i64.add (local.get $n) (i64.const 1))) (i64.const 1)))
  (func (export "run") (result i32)
    (i32.wrap_i64 (call $down (i64.const 0)))))
