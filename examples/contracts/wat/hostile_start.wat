;; Hostile: a start function runs code at instantiation, outside any method and its limits.
;; Expected: ModuleRejected (start-function), at deploy time.
(module
  (memory (export "memory") 1)
  (func $init (loop $forever (br $forever)))
  (start $init)
  (func (export "run") (result i32) (i32.const 0)))
