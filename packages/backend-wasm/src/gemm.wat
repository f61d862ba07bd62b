;; tapegrad WebAssembly SIMD float32 matmul kernel (hand-written; assembled by scripts/build-wasm.mjs).
;;
;; The host packs the operands into linear memory first:
;;   A (M x K) as ceil(M/4) row panels: panel p holds, for k = 0..K-1, the 4 values A[4p..4p+3][k]
;;     (16 bytes per k; rows past M are zero).
;;   B (K x N) as ceil(N/8) column panels: panel q holds, for k = 0..K-1, the 8 values B[k][8q..8q+7]
;;     (32 bytes per k; columns past N are zero).
;; $gemm writes C = A @ B as an Mpad x Npad row-major float32 block (Mpad = 4 * panels of A,
;; Npad = 8 * panels of B); the host copies the live M x N part out.
;;
;; Loop nest: depth blocks of KC = 256, row blocks of 32 A panels (128 rows: 128 KiB of A at
;; KC = 256, sized for L2), then every B panel (its 8 KiB depth block stays in L1) against every
;; A panel of the row block. The 4 x 8 micro-kernel keeps its tile of C in eight f32x4 locals
;; across the depth block, so one k step is two B loads, four A splat-loads and eight mul+add.
;; Sums are float32, rounded per multiply and per add (no fused multiply-add in core SIMD).
(module
  (memory (export "memory") 1)

  ;; C[4 x 8] at $c (row stride $ldc bytes) = (or += when $acc) A panel slice @ B panel slice over $kc steps.
  (func $micro (param $a i32) (param $b i32) (param $c i32) (param $kc i32) (param $ldc i32) (param $acc i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kc) (i32.const 4))))
    (block $done
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (loop $k
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $av (v128.load32_splat offset=0 (local.get $a)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat offset=4 (local.get $a)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat offset=8 (local.get $a)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load32_splat offset=12 (local.get $a)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br_if $k (i32.lt_u (local.get $a) (local.get $end)))))
    (if (local.get $acc)
      (then
      (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $c))))
      (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $c))))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $c))))
      (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $c))))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $c20 (f32x4.add (local.get $c20) (v128.load (local.get $c))))
      (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $c))))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $c30 (f32x4.add (local.get $c30) (v128.load (local.get $c))))
      (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $c))))
      (local.set $c (i32.sub (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31))
  )

  ;; C (at $c) = A (packed at $a, $mp panels of 4 rows) @ B (packed at $b, $np panels of 8 columns), depth $k.
  (func (export "gemm") (param $a i32) (param $b i32) (param $c i32) (param $mp i32) (param $np i32) (param $k i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $iend i32) (local $ip i32) (local $jp i32)
    (local $ldc i32) (local $acc i32) (local $aBlk i32) (local $bBlk i32)
    (local.set $ldc (i32.shl (local.get $np) (i32.const 5)))
    (block $pdone
      (loop $pl
        (br_if $pdone (i32.ge_u (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
        (local.set $acc (i32.ne (local.get $pc) (i32.const 0)))
        (local.set $ic (i32.const 0))
        (block $idone
          (loop $il
            (br_if $idone (i32.ge_u (local.get $ic) (local.get $mp)))
            (local.set $iend (i32.add (local.get $ic) (i32.const 32)))
            (if (i32.gt_u (local.get $iend) (local.get $mp)) (then (local.set $iend (local.get $mp))))
            (local.set $jp (i32.const 0))
            (block $jdone
              (loop $jl
                (br_if $jdone (i32.ge_u (local.get $jp) (local.get $np)))
                ;; B panel $jp at depth $pc: $b + (jp * K + pc) * 32
                (local.set $bBlk (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $jp) (local.get $k)) (local.get $pc)) (i32.const 5))))
                (local.set $ip (local.get $ic))
                (block $rdone
                  (loop $rl
                    (br_if $rdone (i32.ge_u (local.get $ip) (local.get $iend)))
                    ;; A panel $ip at depth $pc: $a + (ip * K + pc) * 16
                    (local.set $aBlk (i32.add (local.get $a)
                      (i32.shl (i32.add (i32.mul (local.get $ip) (local.get $k)) (local.get $pc)) (i32.const 4))))
                    (call $micro (local.get $aBlk) (local.get $bBlk)
                      ;; C tile: $c + ip * 4 * ldc + jp * 32
                      (i32.add (local.get $c) (i32.add
                        (i32.mul (i32.shl (local.get $ip) (i32.const 2)) (local.get $ldc))
                        (i32.shl (local.get $jp) (i32.const 5))))
                      (local.get $kc) (local.get $ldc) (local.get $acc))
                    (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
                    (br $rl)))
                (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
                (br $jl)))
            (local.set $ic (local.get $iend))
            (br $il)))
        (local.set $pc (i32.add (local.get $pc) (local.get $kc)))
        (br $pl)))
  )
)
