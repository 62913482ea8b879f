;; Hostile: grows linear memory a page at a time until the host refuses, then traps.
;; Expected: MemoryLimitExceeded (the trap comes with no page left under the cap).
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (block $refused
      (loop $grow
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    unreachable))
