;; Hostile: imports a function no HostABI provider offers. Expected: ModuleRejected
;; (unknown-import) naming ispc.v1.mint_native_coins, at deploy time.
(module
  (import "ispc.v1" "mint_native_coins" (func $mint (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (call $mint (i64.const 1000000))))
