;; Product-quantization kernels.
;;
;; Codebooks are stored transposed, `cb[s][d][256]` (f32): for subspace s and component d, the
;; values of that component in all 256 centroids, contiguous, so that one f32x4 scores four
;; centroids at once. Unused centroid slots hold values far from any data.
;; A lookup table (LUT) is f32 `lut[s][256]`: the distance contribution of centroid j of subspace s.

  ;; lut[s][j] = |q_s - c_sj|^2
  (func (export "pq_lut_l2")
    (param $q i32) (param $cb i32) (param $m i32) (param $dsub i32) (param $lut i32)
    (local $s i32) (local $j i32) (local $d i32) (local $row i32) (local $qs i32)
    (local $x v128) (local $t v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_u (local.get $s) (local.get $m)))
        (local.set $j (i32.const 0))
        (loop $nextJ
          (local.set $a0 (v128.const i64x2 0 0))
          (local.set $a1 (v128.const i64x2 0 0))
          (local.set $a2 (v128.const i64x2 0 0))
          (local.set $a3 (v128.const i64x2 0 0))
          (local.set $qs (local.get $q))
          (local.set $row (i32.add (local.get $cb) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $d (i32.const 0))
          (loop $nextD
            (local.set $x (f32x4.splat (f32.load (local.get $qs))))
            (local.set $t (f32x4.sub (local.get $x) (v128.load (local.get $row))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $t) (local.get $t))))
            (local.set $t (f32x4.sub (local.get $x) (v128.load offset=16 (local.get $row))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $t) (local.get $t))))
            (local.set $t (f32x4.sub (local.get $x) (v128.load offset=32 (local.get $row))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $t) (local.get $t))))
            (local.set $t (f32x4.sub (local.get $x) (v128.load offset=48 (local.get $row))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $t) (local.get $t))))
            (local.set $qs (i32.add (local.get $qs) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.const 1024)))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))
            (br_if $nextD (i32.lt_u (local.get $d) (local.get $dsub))))
          (v128.store (local.get $lut) (local.get $a0))
          (v128.store offset=16 (local.get $lut) (local.get $a1))
          (v128.store offset=32 (local.get $lut) (local.get $a2))
          (v128.store offset=48 (local.get $lut) (local.get $a3))
          (local.set $lut (i32.add (local.get $lut) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $nextJ (i32.lt_u (local.get $j) (i32.const 256))))
        (local.set $q (local.get $qs))
        (local.set $cb (i32.add (local.get $cb) (i32.mul (local.get $dsub) (i32.const 1024))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; lut[s][j] = -<q_s, c_sj>
  (func (export "pq_lut_dot")
    (param $q i32) (param $cb i32) (param $m i32) (param $dsub i32) (param $lut i32)
    (local $s i32) (local $j i32) (local $d i32) (local $row i32) (local $qs i32)
    (local $x v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_u (local.get $s) (local.get $m)))
        (local.set $j (i32.const 0))
        (loop $nextJ
          (local.set $a0 (v128.const i64x2 0 0))
          (local.set $a1 (v128.const i64x2 0 0))
          (local.set $a2 (v128.const i64x2 0 0))
          (local.set $a3 (v128.const i64x2 0 0))
          (local.set $qs (local.get $q))
          (local.set $row (i32.add (local.get $cb) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $d (i32.const 0))
          (loop $nextD
            (local.set $x (f32x4.splat (f32.load (local.get $qs))))
            (local.set $a0 (f32x4.sub (local.get $a0) (f32x4.mul (local.get $x) (v128.load (local.get $row)))))
            (local.set $a1 (f32x4.sub (local.get $a1)
              (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $row)))))
            (local.set $a2 (f32x4.sub (local.get $a2)
              (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $row)))))
            (local.set $a3 (f32x4.sub (local.get $a3)
              (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $row)))))
            (local.set $qs (i32.add (local.get $qs) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.const 1024)))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))
            (br_if $nextD (i32.lt_u (local.get $d) (local.get $dsub))))
          (v128.store (local.get $lut) (local.get $a0))
          (v128.store offset=16 (local.get $lut) (local.get $a1))
          (v128.store offset=32 (local.get $lut) (local.get $a2))
          (v128.store offset=48 (local.get $lut) (local.get $a3))
          (local.set $lut (i32.add (local.get $lut) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $nextJ (i32.lt_u (local.get $j) (i32.const 256))))
        (local.set $q (local.get $qs))
        (local.set $cb (i32.add (local.get $cb) (i32.mul (local.get $dsub) (i32.const 1024))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; out[i] = c0 + sum_s lut[s][code_s(ids[i])] for records of m u8 codes; when `scaled`, a record
  ;; is [f32 term][m codes] and out[i] = c0 + term * sum (cosine: term = 1 / |reconstruction|).
  (func (export "pq_batch")
    (param $lut i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $m i32) (param $c0 f32) (param $scaled i32) (param $out i32)
    (local $idsEnd i32) (local $rec i32) (local $xp i32) (local $xEnd4 i32) (local $xEnd i32) (local $lp i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (call $touch (local.get $ids) (local.get $n) (local.get $base) (local.get $stride) (local.get $stride))
    (local.set $idsEnd (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $ids) (local.get $idsEnd)))
        (local.set $rec
          (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride))))
        (local.set $xp (i32.add (local.get $rec) (i32.shl (local.get $scaled) (i32.const 2))))
        (local.set $xEnd (i32.add (local.get $xp) (local.get $m)))
        (local.set $xEnd4 (i32.add (local.get $xp) (i32.and (local.get $m) (i32.const -4))))
        (local.set $lp (local.get $lut))
        (local.set $s0 (f32.const 0))
        (local.set $s1 (f32.const 0))
        (local.set $s2 (f32.const 0))
        (local.set $s3 (f32.const 0))
        (block $end4
          (loop $by4
            (br_if $end4 (i32.ge_u (local.get $xp) (local.get $xEnd4)))
            (local.set $s0 (f32.add (local.get $s0)
              (f32.load (i32.add (local.get $lp) (i32.shl (i32.load8_u (local.get $xp)) (i32.const 2))))))
            (local.set $s1 (f32.add (local.get $s1)
              (f32.load offset=1024
                (i32.add (local.get $lp) (i32.shl (i32.load8_u offset=1 (local.get $xp)) (i32.const 2))))))
            (local.set $s2 (f32.add (local.get $s2)
              (f32.load offset=2048
                (i32.add (local.get $lp) (i32.shl (i32.load8_u offset=2 (local.get $xp)) (i32.const 2))))))
            (local.set $s3 (f32.add (local.get $s3)
              (f32.load offset=3072
                (i32.add (local.get $lp) (i32.shl (i32.load8_u offset=3 (local.get $xp)) (i32.const 2))))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (local.set $lp (i32.add (local.get $lp) (i32.const 4096)))
            (br $by4)))
        (block $end1
          (loop $by1
            (br_if $end1 (i32.ge_u (local.get $xp) (local.get $xEnd)))
            (local.set $s0 (f32.add (local.get $s0)
              (f32.load (i32.add (local.get $lp) (i32.shl (i32.load8_u (local.get $xp)) (i32.const 2))))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 1)))
            (local.set $lp (i32.add (local.get $lp) (i32.const 1024)))
            (br $by1)))
        (local.set $s0 (f32.add (f32.add (local.get $s0) (local.get $s1)) (f32.add (local.get $s2) (local.get $s3))))
        (if (local.get $scaled) (then (local.set $s0 (f32.mul (local.get $s0) (f32.load (local.get $rec))))))
        (f32.store (local.get $out) (f32.add (local.get $c0) (local.get $s0)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (br $nextRecord))))

  ;; out[s * dsub + d] = cb[s][d][code_s] * scale: the reconstruction of one record's codes
  ;; (scale 1, or 1 / its norm for cosine).
  (func (export "pq_decode")
    (param $codes i32) (param $m i32) (param $dsub i32) (param $cb i32) (param $scale f32) (param $out i32)
    (local $end i32) (local $d i32) (local $col i32)
    (local.set $end (i32.add (local.get $codes) (local.get $m)))
    (block $done
      (loop $nextS
        (br_if $done (i32.ge_u (local.get $codes) (local.get $end)))
        (local.set $col (i32.add (local.get $cb) (i32.shl (i32.load8_u (local.get $codes)) (i32.const 2))))
        (local.set $d (i32.const 0))
        (loop $nextD
          (f32.store (local.get $out) (f32.mul (local.get $scale) (f32.load (local.get $col))))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $col (i32.add (local.get $col) (i32.const 1024)))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (br_if $nextD (i32.lt_u (local.get $d) (local.get $dsub))))
        (local.set $cb (i32.add (local.get $cb) (i32.mul (local.get $dsub) (i32.const 1024))))
        (local.set $codes (i32.add (local.get $codes) (i32.const 1)))
        (br $nextS))))
