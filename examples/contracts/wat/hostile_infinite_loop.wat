;; Hostile: loops forever. Expected: OutOfGas (fuel), or Timeout if the fuel budget is huge.
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
