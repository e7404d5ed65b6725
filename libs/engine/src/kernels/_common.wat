;; Kernel fragments. build-kernels.mjs assembles every *.wat file of this folder, in name order,
;; into ONE module that imports its memory:
;;   (module (import "env" "memory" (memory 1 65536)) <_common.wat> <f32.wat> <pq.wat> ...)
;; so a fragment holds module fields only (funcs, globals) and may call any other fragment.
;;
;; Conventions shared by every kernel:
;; - all pointers are byte offsets into the imported memory;
;; - a batch kernel scores one prepared query against `n` records whose addresses are
;;   `base + ids[i] * stride` (`ids` is an array of u32) and writes f32 results to `out`.
;;   Calling it once per expanded graph node crosses the JS/Wasm boundary once per node;
;; - before computing, a batch kernel touches every cache line of every record so the memory
;;   system fetches them in parallel (Wasm has no prefetch instruction). Measured on 60k x 784
;;   float32 records (bench/kernel-distance.ts): 370-376 ns per distance with the touch pass,
;;   478-500 ns without.

(global $sink (mut i32) (i32.const 0))

  ;; Reads one word of every cache line of each record so that their misses overlap.
  ;; `bytes` is the record length (not the stride) so the pass never leaves the record.
  (func $touch (export "touch") (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $bytes i32)
    (local $end i32) (local $acc i32) (local $p i32) (local $pEnd i32)
    (local.set $end (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $ids) (local.get $end)))
        (local.set $p
          (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride))))
        (local.set $pEnd (i32.add (local.get $p) (local.get $bytes)))
        (loop $nextLine
          (local.set $acc (i32.add (local.get $acc) (i32.load8_u (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (br_if $nextLine (i32.lt_u (local.get $p) (local.get $pEnd))))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (br $nextRecord)))
    (global.set $sink (i32.add (global.get $sink) (local.get $acc))))

