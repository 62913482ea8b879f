;; A float computation producing NaN from a NaN with a non-canonical payload; the method returns
;; the f32 and f64 bit patterns as return data. Expected on engines with NaN canonicalisation
;; (wasmtime): 0x7fc00000 and 0x7ff8000000000000, identical on every CPU.
(module
  (import "ispc.v1" "set_return_data" (func $set_return_data (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (f32.store (i32.const 0)
      (f32.mul (f32.reinterpret_i32 (i32.const 0x7fa00001)) (f32.const 3)))
    (f64.store (i32.const 4)
      (f64.sub (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)) (f64.const 1)))
    (call $set_return_data (i32.const 0) (i32.const 12))))
