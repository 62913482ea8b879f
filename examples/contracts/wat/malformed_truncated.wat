;; Malformed-module fixture: the tests compile this and cut the binary short, so the engines see
;; a module whose last section runs past the end of the bytes. Expected: ModuleRejected.
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))
