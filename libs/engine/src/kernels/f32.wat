;; Float32 distance kernels. Vectors are zero-padded to a multiple of 4 floats and `dim` is the
;; padded length.

  ;; out[i] = squared L2 distance between the query and record ids[i].
  (func (export "l2_f32_batch")
    (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $dim i32) (param $out i32)
    (local $bytes16 i32) (local $bytes i32) (local $idsEnd i32)
    (local $qp i32) (local $xp i32) (local $qEnd16 i32) (local $qEnd i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $d v128)
    (call $touch (local.get $ids) (local.get $n) (local.get $base) (local.get $stride)
      (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $bytes16 (i32.and (local.get $bytes) (i32.const -64)))
    (local.set $qEnd16 (i32.add (local.get $q) (local.get $bytes16)))
    (local.set $qEnd (i32.add (local.get $q) (local.get $bytes)))
    (local.set $idsEnd (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $ids) (local.get $idsEnd)))
        (local.set $xp
          (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride))))
        (local.set $qp (local.get $q))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (block $end16
          (br_if $end16 (i32.ge_u (local.get $qp) (local.get $qEnd16)))
          (loop $by16
            (local.set $d (f32x4.sub (v128.load (local.get $qp)) (v128.load (local.get $xp))))
            (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $d
              (f32x4.sub (v128.load offset=16 (local.get $qp)) (v128.load offset=16 (local.get $xp))))
            (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $d
              (f32x4.sub (v128.load offset=32 (local.get $qp)) (v128.load offset=32 (local.get $xp))))
            (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $d
              (f32x4.sub (v128.load offset=48 (local.get $qp)) (v128.load offset=48 (local.get $xp))))
            (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
            (br_if $by16 (i32.lt_u (local.get $qp) (local.get $qEnd16)))))
        (block $end4
          (loop $by4
            (br_if $end4 (i32.ge_u (local.get $qp) (local.get $qEnd)))
            (local.set $d (f32x4.sub (v128.load (local.get $qp)) (v128.load (local.get $xp))))
            (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $by4)))
        (local.set $s0
          (f32x4.add (f32x4.add (local.get $s0) (local.get $s1))
            (f32x4.add (local.get $s2) (local.get $s3))))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
            (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (br $nextRecord))))

  ;; out[i] = bias - <query, record ids[i]>. Dot metric: bias 0; cosine over unit vectors: bias 1.
  (func (export "dot_f32_batch")
    (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $dim i32) (param $bias f32) (param $out i32)
    (local $bytes16 i32) (local $bytes i32) (local $idsEnd i32)
    (local $qp i32) (local $xp i32) (local $qEnd16 i32) (local $qEnd i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (call $touch (local.get $ids) (local.get $n) (local.get $base) (local.get $stride)
      (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $bytes16 (i32.and (local.get $bytes) (i32.const -64)))
    (local.set $qEnd16 (i32.add (local.get $q) (local.get $bytes16)))
    (local.set $qEnd (i32.add (local.get $q) (local.get $bytes)))
    (local.set $idsEnd (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $ids) (local.get $idsEnd)))
        (local.set $xp
          (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride))))
        (local.set $qp (local.get $q))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (block $end16
          (br_if $end16 (i32.ge_u (local.get $qp) (local.get $qEnd16)))
          (loop $by16
            (local.set $s0 (f32x4.add (local.get $s0)
              (f32x4.mul (v128.load (local.get $qp)) (v128.load (local.get $xp)))))
            (local.set $s1 (f32x4.add (local.get $s1)
              (f32x4.mul (v128.load offset=16 (local.get $qp)) (v128.load offset=16 (local.get $xp)))))
            (local.set $s2 (f32x4.add (local.get $s2)
              (f32x4.mul (v128.load offset=32 (local.get $qp)) (v128.load offset=32 (local.get $xp)))))
            (local.set $s3 (f32x4.add (local.get $s3)
              (f32x4.mul (v128.load offset=48 (local.get $qp)) (v128.load offset=48 (local.get $xp)))))
            (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
            (br_if $by16 (i32.lt_u (local.get $qp) (local.get $qEnd16)))))
        (block $end4
          (loop $by4
            (br_if $end4 (i32.ge_u (local.get $qp) (local.get $qEnd)))
            (local.set $s0 (f32x4.add (local.get $s0)
              (f32x4.mul (v128.load (local.get $qp)) (v128.load (local.get $xp)))))
            (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $by4)))
        (local.set $s0
          (f32x4.add (f32x4.add (local.get $s0) (local.get $s1))
            (f32x4.add (local.get $s2) (local.get $s3))))
        (f32.store (local.get $out)
          (f32.sub (local.get $bias)
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
              (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0))))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (br $nextRecord))))

  ;; out[i] = 1 - <q, x> / |x| for a unit query q and a record x of any length (x = 0 gives 1).
  ;; Used to rerank cosine libraries against the raw originals.
  (func (export "cosine_f32_batch")
    (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $dim i32) (param $out i32)
    (local $bytes i32) (local $idsEnd i32) (local $qp i32) (local $xp i32) (local $qEnd i32)
    (local $dot v128) (local $nrm v128) (local $x v128) (local $d f32) (local $n2 f32)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $qEnd (i32.add (local.get $q) (local.get $bytes)))
    (local.set $idsEnd (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $ids) (local.get $idsEnd)))
        (local.set $xp
          (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride))))
        (local.set $qp (local.get $q))
        (local.set $dot (v128.const i64x2 0 0))
        (local.set $nrm (v128.const i64x2 0 0))
        (block $end4
          (loop $by4
            (br_if $end4 (i32.ge_u (local.get $qp) (local.get $qEnd)))
            (local.set $x (v128.load (local.get $xp)))
            (local.set $dot (f32x4.add (local.get $dot) (f32x4.mul (v128.load (local.get $qp)) (local.get $x))))
            (local.set $nrm (f32x4.add (local.get $nrm) (f32x4.mul (local.get $x) (local.get $x))))
            (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $by4)))
        (local.set $d
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $dot)) (f32x4.extract_lane 1 (local.get $dot)))
            (f32.add (f32x4.extract_lane 2 (local.get $dot)) (f32x4.extract_lane 3 (local.get $dot)))))
        (local.set $n2
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $nrm)) (f32x4.extract_lane 1 (local.get $nrm)))
            (f32.add (f32x4.extract_lane 2 (local.get $nrm)) (f32x4.extract_lane 3 (local.get $nrm)))))
        (f32.store (local.get $out)
          (if (result f32) (f32.gt (local.get $n2) (f32.const 0))
            (then (f32.sub (f32.const 1) (f32.div (local.get $d) (f32.sqrt (local.get $n2)))))
            (else (f32.const 1))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (br $nextRecord))))

  ;; Neighbour selection: the index of the first record whose distance to the query is below
  ;; `limit`, or n. Stops at the first one, which is why it does not touch records ahead.
  ;; `dot` selects bias - <q, x> instead of the squared L2 distance.
  (func (export "f32_first_closer")
    (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $dim i32) (param $dot i32) (param $bias f32) (param $limit f32) (result i32)
    (local $i i32) (local $qp i32) (local $xp i32) (local $qEnd i32) (local $qEnd16 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $d v128)
    (local $dist f32)
    (local.set $qEnd (i32.add (local.get $q) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $qEnd16 (i32.add (local.get $q) (i32.and (i32.shl (local.get $dim) (i32.const 2)) (i32.const -64))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xp
          (i32.add (local.get $base)
            (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2))))
              (local.get $stride))))
        (local.set $qp (local.get $q))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (if (local.get $dot)
          (then
            (block $end16d
              (br_if $end16d (i32.ge_u (local.get $qp) (local.get $qEnd16)))
              (loop $by16d
                (local.set $s0 (f32x4.add (local.get $s0)
                  (f32x4.mul (v128.load (local.get $qp)) (v128.load (local.get $xp)))))
                (local.set $s1 (f32x4.add (local.get $s1)
                  (f32x4.mul (v128.load offset=16 (local.get $qp)) (v128.load offset=16 (local.get $xp)))))
                (local.set $s2 (f32x4.add (local.get $s2)
                  (f32x4.mul (v128.load offset=32 (local.get $qp)) (v128.load offset=32 (local.get $xp)))))
                (local.set $s3 (f32x4.add (local.get $s3)
                  (f32x4.mul (v128.load offset=48 (local.get $qp)) (v128.load offset=48 (local.get $xp)))))
                (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
                (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
                (br_if $by16d (i32.lt_u (local.get $qp) (local.get $qEnd16)))))
            (block $end4d
              (loop $by4d
                (br_if $end4d (i32.ge_u (local.get $qp) (local.get $qEnd)))
                (local.set $s0 (f32x4.add (local.get $s0)
                  (f32x4.mul (v128.load (local.get $qp)) (v128.load (local.get $xp)))))
                (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
                (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
                (br $by4d))))
          (else
            (block $end16
              (br_if $end16 (i32.ge_u (local.get $qp) (local.get $qEnd16)))
              (loop $by16
                (local.set $d (f32x4.sub (v128.load (local.get $qp)) (v128.load (local.get $xp))))
                (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
                (local.set $d
                  (f32x4.sub (v128.load offset=16 (local.get $qp)) (v128.load offset=16 (local.get $xp))))
                (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $d) (local.get $d))))
                (local.set $d
                  (f32x4.sub (v128.load offset=32 (local.get $qp)) (v128.load offset=32 (local.get $xp))))
                (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $d) (local.get $d))))
                (local.set $d
                  (f32x4.sub (v128.load offset=48 (local.get $qp)) (v128.load offset=48 (local.get $xp))))
                (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $d) (local.get $d))))
                (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
                (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
                (br_if $by16 (i32.lt_u (local.get $qp) (local.get $qEnd16)))))
            (block $end4
              (loop $by4
                (br_if $end4 (i32.ge_u (local.get $qp) (local.get $qEnd)))
                (local.set $d (f32x4.sub (v128.load (local.get $qp)) (v128.load (local.get $xp))))
                (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
                (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
                (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
                (br $by4)))))
        (local.set $s0
          (f32x4.add (f32x4.add (local.get $s0) (local.get $s1))
            (f32x4.add (local.get $s2) (local.get $s3))))
        (local.set $dist
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
            (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
        (if (local.get $dot) (then (local.set $dist (f32.sub (local.get $bias) (local.get $dist)))))
        (br_if $done (f32.lt (local.get $dist) (local.get $limit)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nextRecord)))
    (local.get $i))

  ;; Scales the vector at `p` (dim floats, a multiple of 4) to unit length; a zero vector stays zero.
  (func (export "normalize_f32") (param $p i32) (param $dim i32)
    (local $end i32) (local $q i32) (local $s v128) (local $x v128) (local $n f32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $q (local.get $p))
    (block $done
      (loop $sum
        (br_if $done (i32.ge_u (local.get $q) (local.get $end)))
        (local.set $x (v128.load (local.get $q)))
        (local.set $s (f32x4.add (local.get $s) (f32x4.mul (local.get $x) (local.get $x))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $sum)))
    (local.set $n
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
        (f32.add (f32x4.extract_lane 2 (local.get $s)) (f32x4.extract_lane 3 (local.get $s)))))
    (if (f32.gt (local.get $n) (f32.const 0))
      (then
        (local.set $x (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (local.get $n)))))
        (local.set $q (local.get $p))
        (block $done2
          (loop $scale
            (br_if $done2 (i32.ge_u (local.get $q) (local.get $end)))
            (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $x)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $scale))))))
