;; k-means kernels (product-quantizer training and encoding).
;;
;; Centroids use the transposed codebook layout of pq.wat, `cb[d][256]`, plus `cnorm[256]`, the
;; squared norm of each centroid (+inf in unused slots, so they are never chosen).

  ;; For each of n points: the nearest centroid of its codebook (at cb + i * cbStride, norms at
  ;; cnorm + i * cnormStride) and the squared distance to it. A point is given SCALED BY -2
  ;; (dsub floats at x + i * xStride), so that argmin_j |x - c_j|^2 = argmin_j (|c_j|^2 + <-2x, c_j>)
  ;; is one multiply-add per component. Training passes cbStride 0 (one codebook, many points);
  ;; encoding one vector passes the codebooks' stride (one point per subspace).
  ;; 16 centroids at a time, components two at a time.
  (func (export "nearest_centroid")
    (param $x i32) (param $xStride i32) (param $n i32) (param $dsub i32) (param $cb i32)
    (param $cbStride i32) (param $cnorm i32) (param $cnormStride i32) (param $outIdx i32)
    (param $outDist i32)
    (local $i i32) (local $j i32) (local $row i32) (local $xp i32) (local $xEnd i32) (local $xEnd2 i32)
    (local $xv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $bestV v128) (local $bestI v128) (local $idx v128) (local $mask v128)
    (local $best f32) (local $bestIdx i32) (local $lane f32) (local $xnorm f32) (local $xs f32)
    (block $doneI
      (loop $nextI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xEnd (i32.add (local.get $x) (i32.shl (local.get $dsub) (i32.const 2))))
        (local.set $xEnd2 (i32.add (local.get $x) (i32.shl (i32.and (local.get $dsub) (i32.const -2)) (i32.const 2))))
        (local.set $bestV (f32x4.splat (f32.const inf)))
        (local.set $bestI (v128.const i32x4 0 0 0 0))
        (local.set $idx (v128.const i32x4 0 1 2 3))
        (local.set $j (i32.const 0))
        (loop $nextJ
          (local.set $a0 (v128.load (i32.add (local.get $cnorm) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $a1 (v128.load offset=16 (i32.add (local.get $cnorm) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $a2 (v128.load offset=32 (i32.add (local.get $cnorm) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $a3 (v128.load offset=48 (i32.add (local.get $cnorm) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $row (i32.add (local.get $cb) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $xp (local.get $x))
          (block $end2
            (br_if $end2 (i32.ge_u (local.get $xp) (local.get $xEnd2)))
            (loop $by2
              (local.set $xv (v128.load32_splat (local.get $xp)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load (local.get $row)))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load offset=16 (local.get $row)))))
              (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load offset=32 (local.get $row)))))
              (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load offset=48 (local.get $row)))))
              (local.set $xv (v128.load32_splat offset=4 (local.get $xp)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load offset=1024 (local.get $row)))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load offset=1040 (local.get $row)))))
              (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load offset=1056 (local.get $row)))))
              (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load offset=1072 (local.get $row)))))
              (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
              (local.set $row (i32.add (local.get $row) (i32.const 2048)))
              (br_if $by2 (i32.lt_u (local.get $xp) (local.get $xEnd2)))))
          (if (i32.lt_u (local.get $xp) (local.get $xEnd))
            (then
              (local.set $xv (v128.load32_splat (local.get $xp)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load (local.get $row)))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load offset=16 (local.get $row)))))
              (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load offset=32 (local.get $row)))))
              (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load offset=48 (local.get $row)))))))
          (local.set $mask (f32x4.lt (local.get $a0) (local.get $bestV)))
          (local.set $bestV (v128.bitselect (local.get $a0) (local.get $bestV) (local.get $mask)))
          (local.set $bestI (v128.bitselect (local.get $idx) (local.get $bestI) (local.get $mask)))
          (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
          (local.set $mask (f32x4.lt (local.get $a1) (local.get $bestV)))
          (local.set $bestV (v128.bitselect (local.get $a1) (local.get $bestV) (local.get $mask)))
          (local.set $bestI (v128.bitselect (local.get $idx) (local.get $bestI) (local.get $mask)))
          (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
          (local.set $mask (f32x4.lt (local.get $a2) (local.get $bestV)))
          (local.set $bestV (v128.bitselect (local.get $a2) (local.get $bestV) (local.get $mask)))
          (local.set $bestI (v128.bitselect (local.get $idx) (local.get $bestI) (local.get $mask)))
          (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
          (local.set $mask (f32x4.lt (local.get $a3) (local.get $bestV)))
          (local.set $bestV (v128.bitselect (local.get $a3) (local.get $bestV) (local.get $mask)))
          (local.set $bestI (v128.bitselect (local.get $idx) (local.get $bestI) (local.get $mask)))
          (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $nextJ (i32.lt_u (local.get $j) (i32.const 256))))
        ;; argmin over the four lanes
        (local.set $best (f32x4.extract_lane 0 (local.get $bestV)))
        (local.set $bestIdx (i32x4.extract_lane 0 (local.get $bestI)))
        (local.set $lane (f32x4.extract_lane 1 (local.get $bestV)))
        (if (f32.lt (local.get $lane) (local.get $best))
          (then (local.set $best (local.get $lane))
                (local.set $bestIdx (i32x4.extract_lane 1 (local.get $bestI)))))
        (local.set $lane (f32x4.extract_lane 2 (local.get $bestV)))
        (if (f32.lt (local.get $lane) (local.get $best))
          (then (local.set $best (local.get $lane))
                (local.set $bestIdx (i32x4.extract_lane 2 (local.get $bestI)))))
        (local.set $lane (f32x4.extract_lane 3 (local.get $bestV)))
        (if (f32.lt (local.get $lane) (local.get $best))
          (then (local.set $best (local.get $lane))
                (local.set $bestIdx (i32x4.extract_lane 3 (local.get $bestI)))))
        ;; |x|^2 = |-2x|^2 / 4
        (local.set $xnorm (f32.const 0))
        (local.set $xp (local.get $x))
        (loop $norm
          (local.set $xs (f32.load (local.get $xp)))
          (local.set $xnorm (f32.add (local.get $xnorm) (f32.mul (local.get $xs) (local.get $xs))))
          (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
          (br_if $norm (i32.lt_u (local.get $xp) (local.get $xEnd))))
        (i32.store (local.get $outIdx) (local.get $bestIdx))
        ;; rounding can make the expanded form slightly negative for a point on its centroid
        (f32.store (local.get $outDist)
          (f32.max (f32.const 0)
            (f32.add (local.get $best) (f32.mul (f32.const 0.25) (local.get $xnorm)))))
        (local.set $outIdx (i32.add (local.get $outIdx) (i32.const 4)))
        (local.set $outDist (i32.add (local.get $outDist) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (local.get $xStride)))
        (local.set $cb (i32.add (local.get $cb) (local.get $cbStride)))
        (local.set $cnorm (i32.add (local.get $cnorm) (local.get $cnormStride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nextI))))

  ;; k-means++ seeding step: dmin[i] = min(dmin[i], |x_i - c|^2) for the points of a sample stored
  ;; transposed, xT[d][n4] (n4 a multiple of 4; padding points start with dmin 0 and stay 0).
  ;; `cs` holds the new centroid's components, each splatted to 16 bytes. Returns sum_i dmin[i].
  (func (export "kmeanspp_update")
    (param $xT i32) (param $n4 i32) (param $dsub i32) (param $cs i32) (param $dmin i32) (result f64)
    (local $j i32) (local $d i32) (local $row i32) (local $cp i32) (local $rowStride i32)
    (local $acc v128) (local $t v128) (local $sum v128)
    (local.set $rowStride (i32.shl (local.get $n4) (i32.const 2)))
    (block $done
      (loop $nextGroup
        (br_if $done (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $row (i32.add (local.get $xT) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $cp (local.get $cs))
        (local.set $d (i32.const 0))
        (loop $nextD
          (local.set $t (f32x4.sub (v128.load (local.get $row)) (v128.load (local.get $cp))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $row (i32.add (local.get $row) (local.get $rowStride)))
          (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (br_if $nextD (i32.lt_u (local.get $d) (local.get $dsub))))
        (local.set $acc (f32x4.min (local.get $acc) (v128.load (local.get $dmin))))
        (v128.store (local.get $dmin) (local.get $acc))
        (local.set $sum (f64x2.add (local.get $sum)
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $acc))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
              (local.get $acc) (local.get $acc))))))
        (local.set $dmin (i32.add (local.get $dmin) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $nextGroup)))
    (f64.add (f64x2.extract_lane 0 (local.get $sum)) (f64x2.extract_lane 1 (local.get $sum))))
