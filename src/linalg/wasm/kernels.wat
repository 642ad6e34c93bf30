;; celldeconv's float64 SIMD kernels (WebAssembly SIMD128, f64x2 lanes).
;;
;; Source of truth for src/linalg/wasm/kernels-bytes.ts (`node scripts/build-wasm.mjs` compiles this
;; file with wabt and writes the bytes; a test checks that the two agree).
;;
;; Every pointer is a byte offset into the module's memory and must be 8-byte aligned. Every vector
;; length K is the padded row length in doubles and must be a multiple of 4: callers pad rows with
;; zeros, which add nothing to any product below.
(module
  (memory (export "memory") 1)

  ;; out[i*N + j] = sum_k A[i*K + k] * B[j*K + k]  (A: M x K, B: N x K, both row-major; out: M x N).
  ;; Four rows of B share each load of A (four f64x2 accumulators); then a pair, then a single row.
  (func $dotsNT (export "dotsNT")
    (param $M i32) (param $N i32) (param $K i32) (param $A i32) (param $B i32) (param $out i32)
    (local $i i32) (local $j i32) (local $rb i32) (local $pa i32) (local $end i32) (local $k i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $po i32)
    (local $v v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $rb (i32.shl (local.get $K) (i32.const 3)))
    (local.set $po (local.get $out))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $pa (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $j (i32.const 0))
        ;; blocks of four rows of B
        (block $quadDone
          (loop $quad
            (br_if $quadDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $N)))
            (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $rb))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $rb)))
            (local.set $b2 (i32.add (local.get $b1) (local.get $rb)))
            (local.set $b3 (i32.add (local.get $b2) (local.get $rb)))
            (local.set $s0 (v128.const f64x2 0 0))
            (local.set $s1 (v128.const f64x2 0 0))
            (local.set $s2 (v128.const f64x2 0 0))
            (local.set $s3 (v128.const f64x2 0 0))
            (local.set $k (i32.const 0))
            ;; k unrolled by two (K is a multiple of 4): the second half uses offset=16 immediates
            (block $kDone
              (loop $kl
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $rb)))
                (local.set $v (v128.load (i32.add (local.get $pa) (local.get $k))))
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $b0) (local.get $k))))))
                (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $b1) (local.get $k))))))
                (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $b2) (local.get $k))))))
                (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $b3) (local.get $k))))))
                (local.set $v (v128.load offset=16 (i32.add (local.get $pa) (local.get $k))))
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $v) (v128.load offset=16 (i32.add (local.get $b0) (local.get $k))))))
                (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $v) (v128.load offset=16 (i32.add (local.get $b1) (local.get $k))))))
                (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $v) (v128.load offset=16 (i32.add (local.get $b2) (local.get $k))))))
                (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $v) (v128.load offset=16 (i32.add (local.get $b3) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 32)))
                (br $kl)))
            (f64.store offset=0 (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
            (f64.store offset=8 (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
            (f64.store offset=16 (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s2)) (f64x2.extract_lane 1 (local.get $s2))))
            (f64.store offset=24 (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s3)) (f64x2.extract_lane 1 (local.get $s3))))
            (local.set $po (i32.add (local.get $po) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quad)))
        ;; a pair of leftover rows of B: four accumulators (k unrolled by two, K is a multiple of 4)
        (if (i32.le_u (i32.add (local.get $j) (i32.const 2)) (local.get $N))
          (then
            (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $rb))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $rb)))
            (local.set $s0 (v128.const f64x2 0 0))
            (local.set $s1 (v128.const f64x2 0 0))
            (local.set $s2 (v128.const f64x2 0 0))
            (local.set $s3 (v128.const f64x2 0 0))
            (local.set $k (i32.const 0))
            (block $k2Done
              (loop $k2
                (br_if $k2Done (i32.ge_u (local.get $k) (local.get $rb)))
                (local.set $v (v128.load (i32.add (local.get $pa) (local.get $k))))
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $b0) (local.get $k))))))
                (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $b1) (local.get $k))))))
                (local.set $v (v128.load offset=16 (i32.add (local.get $pa) (local.get $k))))
                (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $v) (v128.load offset=16 (i32.add (local.get $b0) (local.get $k))))))
                (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $v) (v128.load offset=16 (i32.add (local.get $b1) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 32)))
                (br $k2)))
            (local.set $s0 (f64x2.add (local.get $s0) (local.get $s2)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $s3)))
            (f64.store offset=0 (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
            (f64.store offset=8 (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
            (local.set $po (i32.add (local.get $po) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))))
        ;; the last row of B, if any: two accumulators
        (if (i32.lt_u (local.get $j) (local.get $N))
          (then
            (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $rb))))
            (local.set $s0 (v128.const f64x2 0 0))
            (local.set $s1 (v128.const f64x2 0 0))
            (local.set $k (i32.const 0))
            (block $k1Done
              (loop $k1
                (br_if $k1Done (i32.ge_u (local.get $k) (local.get $rb)))
                (local.set $s0 (f64x2.add (local.get $s0)
                  (f64x2.mul (v128.load (i32.add (local.get $pa) (local.get $k))) (v128.load (i32.add (local.get $b0) (local.get $k))))))
                (local.set $s1 (f64x2.add (local.get $s1)
                  (f64x2.mul (v128.load offset=16 (i32.add (local.get $pa) (local.get $k))) (v128.load offset=16 (i32.add (local.get $b0) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 32)))
                (br $k1)))
            (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
            (f64.store (local.get $po) (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
            (local.set $po (i32.add (local.get $po) (i32.const 8)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
  )

;; Prefix sums of selected rows with snapshots: acc = 0; for b < nb: add rows data[idx[i]] (L doubles
;; each) for i < breaks[b], then copy acc to snap[b] (nb x L). idx and breaks are i32 arrays; L is
;; even. Each entry is summed in the order of idx, exactly as a scalar loop would (the two SIMD lanes
;; hold two entries, not two partial sums), so results are bit-identical to the JavaScript path.
;; Used by DWLS's dampening search: per random gene subset, the weighted Gram sums below each
;; candidate multiplier.
  (func (export "accSnap")
    (param $n i32) (param $idx i32) (param $L i32) (param $data i32) (param $nb i32) (param $breaks i32)
    (param $acc i32) (param $snap i32)
    (local $lb i32) (local $i i32) (local $b i32) (local $end i32) (local $row i32) (local $k i32) (local $ps i32)
    (local.set $lb (i32.shl (local.get $L) (i32.const 3)))
    (local.set $k (i32.const 0))
    (block $zDone
      (loop $zl
        (br_if $zDone (i32.ge_u (local.get $k) (local.get $lb)))
        (v128.store (i32.add (local.get $acc) (local.get $k)) (v128.const f64x2 0 0))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $zl)))
    (local.set $i (i32.const 0))
    (local.set $b (i32.const 0))
    (local.set $ps (local.get $snap))
    (block $bDone
      (loop $bl
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $nb)))
        (local.set $end (i32.load (i32.add (local.get $breaks) (i32.shl (local.get $b) (i32.const 2)))))
        (if (i32.gt_u (local.get $end) (local.get $n)) (then (local.set $end (local.get $n))))
        (block $iDone
          (loop $il
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $row (i32.add (local.get $data)
              (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $i) (i32.const 2)))) (local.get $lb))))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kl
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $lb)))
                (v128.store (i32.add (local.get $acc) (local.get $k))
                  (f64x2.add (v128.load (i32.add (local.get $acc) (local.get $k))) (v128.load (i32.add (local.get $row) (local.get $k)))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $kl)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $il)))
        (memory.copy (local.get $ps) (local.get $acc) (local.get $lb))
        (local.set $ps (i32.add (local.get $ps) (local.get $lb)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
  )

;; B[j*K + k] -= coef[j] * v[k] for rows j < n of B (n x K) and one row v (K): the rank-one
;; updates of Householder reflections, all rows at once.
  (func (export "axpyRows") (param $n i32) (param $K i32) (param $coef i32) (param $v i32) (param $B i32)
    (local $rb i32) (local $j i32) (local $k i32) (local $pb i32) (local $c v128)
    (local.set $rb (i32.shl (local.get $K) (i32.const 3)))
    (local.set $j (i32.const 0))
    (block $jDone
      (loop $jl
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $c (f64x2.splat (f64.load (i32.add (local.get $coef) (i32.shl (local.get $j) (i32.const 3))))))
        (local.set $pb (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $rb))))
        (local.set $k (i32.const 0))
        (block $kDone
          (loop $kl
            (br_if $kDone (i32.ge_u (local.get $k) (local.get $rb)))
            (v128.store (i32.add (local.get $pb) (local.get $k))
              (f64x2.sub (v128.load (i32.add (local.get $pb) (local.get $k)))
                         (f64x2.mul (local.get $c) (v128.load (i32.add (local.get $v) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $kl)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
  )

;; Weighted normal equations: WS[c*K + g] = w_g St[c*K + g];  d_c = sum_g WS[c*K + g] y_g;
;; H[a*C + c] = sum_g WS[a*K + g] St[c*K + g] for c >= a (upper triangle only; the caller mirrors it).
  (func $weightedGram (export "weightedGram")
    (param $C i32) (param $K i32) (param $St i32) (param $w i32) (param $y i32) (param $WS i32) (param $H i32) (param $d i32)
    (local $rb i32) (local $k i32) (local $c i32) (local $pc i32) (local $v v128) (local $s v128)
    (local.set $rb (i32.shl (local.get $K) (i32.const 3)))
    ;; WS = W St (row by row) and d = WS y
    (local.set $c (i32.const 0))
    (block $rDone
      (loop $rl
        (br_if $rDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $pc (i32.mul (local.get $c) (local.get $rb)))
        (local.set $s (v128.const f64x2 0 0))
        (local.set $k (i32.const 0))
        (block $kDone
          (loop $kl
            (br_if $kDone (i32.ge_u (local.get $k) (local.get $rb)))
            (local.set $v (f64x2.mul (v128.load (i32.add (local.get $w) (local.get $k)))
                                     (v128.load (i32.add (i32.add (local.get $St) (local.get $pc)) (local.get $k)))))
            (v128.store (i32.add (i32.add (local.get $WS) (local.get $pc)) (local.get $k)) (local.get $v))
            (local.set $s (f64x2.add (local.get $s) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $y) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $kl)))
        (f64.store (i32.add (local.get $d) (i32.shl (local.get $c) (i32.const 3)))
          (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $rl)))
    ;; upper triangle of H: row a = WS[a] . St[c] for c = a..C-1
    (local.set $c (i32.const 0))
    (block $hDone
      (loop $hl
        (br_if $hDone (i32.ge_u (local.get $c) (local.get $C)))
        (call $dotsNT (i32.const 1) (i32.sub (local.get $C) (local.get $c)) (local.get $K)
          (i32.add (local.get $WS) (i32.mul (local.get $c) (local.get $rb)))
          (i32.add (local.get $St) (i32.mul (local.get $c) (local.get $rb)))
          (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $C)) (local.get $c)) (i32.const 3))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $hl)))
  )

;; The per-step weights and weighted normal equations of the iterative WLS solvers (WNNLS, DWLS):
;;   fit_g = sum_c x_c St[c*K + g];  w_g = 1 / max(fit_g, clip)^2;
;;   if damp > 0: w_g = min(w_g / min_h w_h, damp);  w_g = 0 for the padding genes g >= G;
;;   WS[c*K + g] = w_g St[c*K + g];  d_c = sum_g WS[c*K + g] y_g;  H[a*C + c] = sum_g WS[a*K + g] St[c*K + g] (c >= a only).
;; St: C x K (signature transposed, padded), x: C, y: K (padded), w: K, WS: C x K, H: C x C, d: C.
;; Only the upper triangle of H (c >= a) is written; the caller mirrors it.
  (func (export "wlsStep")
    (param $C i32) (param $G i32) (param $K i32) (param $St i32) (param $x i32) (param $y i32)
    (param $clip f64) (param $damp f64) (param $w i32) (param $WS i32) (param $H i32) (param $d i32)
    (local $rb i32) (local $k i32) (local $c i32) (local $pc i32) (local $f v128) (local $v v128)
    (local $mn v128) (local $wmin f64) (local $s v128)
    (local.set $rb (i32.shl (local.get $K) (i32.const 3)))
    ;; weights, and their minimum over the real genes (padding genes have fit 0, so w = 1/clip^2, the largest value)
    (local.set $mn (v128.const f64x2 inf inf))
    (local.set $k (i32.const 0))
    (block $wDone
      (loop $wl
        (br_if $wDone (i32.ge_u (local.get $k) (local.get $rb)))
        (local.set $f (v128.const f64x2 0 0))
        (local.set $c (i32.const 0))
        (local.set $pc (i32.add (local.get $St) (local.get $k)))
        (block $cDone
          (loop $cl
            (br_if $cDone (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $f (f64x2.add (local.get $f)
              (f64x2.mul (f64x2.splat (f64.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 3)))))
                         (v128.load (local.get $pc)))))
            (local.set $pc (i32.add (local.get $pc) (local.get $rb)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cl)))
        (local.set $f (f64x2.max (local.get $f) (f64x2.splat (local.get $clip))))
        (local.set $v (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $f) (local.get $f))))
        (v128.store (i32.add (local.get $w) (local.get $k)) (local.get $v))
        (local.set $mn (f64x2.min (local.get $mn) (local.get $v)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $wl)))
    (if (f64.gt (local.get $damp) (f64.const 0))
      (then
        (local.set $wmin (f64.min (f64x2.extract_lane 0 (local.get $mn)) (f64x2.extract_lane 1 (local.get $mn))))
        (local.set $k (i32.const 0))
        (block $dDone
          (loop $dl
            (br_if $dDone (i32.ge_u (local.get $k) (local.get $rb)))
            (v128.store (i32.add (local.get $w) (local.get $k))
              (f64x2.min (f64x2.div (v128.load (i32.add (local.get $w) (local.get $k))) (f64x2.splat (local.get $wmin)))
                         (f64x2.splat (local.get $damp))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $dl)))))
    ;; padding genes weigh nothing
    (local.set $k (i32.shl (local.get $G) (i32.const 3)))
    (block $pDone
      (loop $pl
        (br_if $pDone (i32.ge_u (local.get $k) (local.get $rb)))
        (f64.store (i32.add (local.get $w) (local.get $k)) (f64.const 0))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $pl)))
    (call $weightedGram (local.get $C) (local.get $K) (local.get $St) (local.get $w) (local.get $y)
      (local.get $WS) (local.get $H) (local.get $d))
  )
)
