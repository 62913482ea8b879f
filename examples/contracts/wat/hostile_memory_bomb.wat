;; Hostile: grows linear memory until the host refuses, then traps. Expected: MemoryLimitExceeded.
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (block $refused
      (loop $grow
        (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
    unreachable))
