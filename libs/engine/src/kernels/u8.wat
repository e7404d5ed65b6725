;; Scalar-quantized (8-bit) kernels.
;;
;; A record is [f32 term][u8 codes, zero-padded to `dim16`, a multiple of 16]. A prepared query is
;; i16 weights `a` (zero-padded to dim16) and constants, so that with dot = sum_d a[d] * code[d]
;;   l2, dot:  distance = c0 + ct * term - c1 * dot
;;   cosine:   distance = c0 - (cq + c1 * dot) * term        (`scaled` set; term = 1 / |x|)
;; (see scalar-store.ts for the algebra). The integer dot product runs on i32x4.dot_i16x8_s;
;; the caller bounds |a| so that no i32 lane can overflow.

  ;; out[i] = c0 + ct * term - c1 * <a, codes>, or c0 - (cq + c1 * <a, codes>) * term when scaled
  (func (export "u8_batch")
    (param $a i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
    (param $dim16 i32) (param $c0 f32) (param $ct f32) (param $c1 f32) (param $cq f32)
    (param $scaled i32) (param $out i32)
    (local $idsEnd i32) (local $rec i32) (local $xp i32) (local $xEnd i32) (local $xEnd32 i32)
    (local $ap i32) (local $c v128) (local $dot f32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (call $touch (local.get $ids) (local.get $n) (local.get $base) (local.get $stride)
      (i32.add (local.get $dim16) (i32.const 4)))
    (local.set $idsEnd (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $nextRecord
        (br_if $done (i32.ge_u (local.get $ids) (local.get $idsEnd)))
        (local.set $rec
          (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride))))
        (local.set $xp (i32.add (local.get $rec) (i32.const 4)))
        (local.set $xEnd (i32.add (local.get $xp) (local.get $dim16)))
        (local.set $xEnd32 (i32.add (local.get $xp) (i32.and (local.get $dim16) (i32.const -32))))
        (local.set $ap (local.get $a))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (block $end32
          (br_if $end32 (i32.ge_u (local.get $xp) (local.get $xEnd32)))
          (loop $by32
            (local.set $c (v128.load (local.get $xp)))
            (local.set $s0 (i32x4.add (local.get $s0)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $c)) (v128.load (local.get $ap)))))
            (local.set $s1 (i32x4.add (local.get $s1)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $c))
                (v128.load offset=16 (local.get $ap)))))
            (local.set $c (v128.load offset=16 (local.get $xp)))
            (local.set $s2 (i32x4.add (local.get $s2)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $c))
                (v128.load offset=32 (local.get $ap)))))
            (local.set $s3 (i32x4.add (local.get $s3)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $c))
                (v128.load offset=48 (local.get $ap)))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
            (local.set $ap (i32.add (local.get $ap) (i32.const 64)))
            (br_if $by32 (i32.lt_u (local.get $xp) (local.get $xEnd32)))))
        (if (i32.lt_u (local.get $xp) (local.get $xEnd))
          (then
            (local.set $c (v128.load (local.get $xp)))
            (local.set $s0 (i32x4.add (local.get $s0)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $c)) (v128.load (local.get $ap)))))
            (local.set $s1 (i32x4.add (local.get $s1)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $c))
                (v128.load offset=16 (local.get $ap)))))))
        ;; Lanes are summed in f32: their i32 sum could overflow where no single lane does.
        (local.set $s0
          (f32x4.add
            (f32x4.add (f32x4.convert_i32x4_s (local.get $s0)) (f32x4.convert_i32x4_s (local.get $s1)))
            (f32x4.add (f32x4.convert_i32x4_s (local.get $s2)) (f32x4.convert_i32x4_s (local.get $s3)))))
        (local.set $dot
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
            (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
        (f32.store (local.get $out)
          (if (result f32) (local.get $scaled)
            (then
              (f32.sub (local.get $c0)
                (f32.mul (f32.add (local.get $cq) (f32.mul (local.get $c1) (local.get $dot)))
                  (f32.load (local.get $rec)))))
            (else
              (f32.sub
                (f32.add (local.get $c0) (f32.mul (local.get $ct) (f32.load (local.get $rec))))
                (f32.mul (local.get $c1) (local.get $dot))))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (br $nextRecord))))

  ;; out[d] = (lo[d] + step[d] * code[d]) * scale for d < dim16: the reconstruction of one record
  ;; (scale 1, or 1 / its norm to put a cosine record back on the unit sphere).
  (func (export "u8_decode")
    (param $codes i32) (param $dim16 i32) (param $lo i32) (param $step i32) (param $scale f32)
    (param $out i32)
    (local $end i32) (local $c v128) (local $h v128) (local $k v128)
    (local.set $k (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $codes) (local.get $dim16)))
    (block $done
      (loop $by16
        (br_if $done (i32.ge_u (local.get $codes) (local.get $end)))
        (local.set $c (v128.load (local.get $codes)))
        (local.set $h (i16x8.extend_low_i8x16_u (local.get $c)))
        (v128.store (local.get $out) (f32x4.mul (local.get $k)
          (f32x4.add (v128.load (local.get $lo))
            (f32x4.mul (v128.load (local.get $step))
              (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $h)))))))
        (v128.store offset=16 (local.get $out) (f32x4.mul (local.get $k)
          (f32x4.add (v128.load offset=16 (local.get $lo))
            (f32x4.mul (v128.load offset=16 (local.get $step))
              (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $h)))))))
        (local.set $h (i16x8.extend_high_i8x16_u (local.get $c)))
        (v128.store offset=32 (local.get $out) (f32x4.mul (local.get $k)
          (f32x4.add (v128.load offset=32 (local.get $lo))
            (f32x4.mul (v128.load offset=32 (local.get $step))
              (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $h)))))))
        (v128.store offset=48 (local.get $out) (f32x4.mul (local.get $k)
          (f32x4.add (v128.load offset=48 (local.get $lo))
            (f32x4.mul (v128.load offset=48 (local.get $step))
              (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $h)))))))
        (local.set $codes (i32.add (local.get $codes) (i32.const 16)))
        (local.set $lo (i32.add (local.get $lo) (i32.const 64)))
        (local.set $step (i32.add (local.get $step) (i32.const 64)))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (br $by16))))
