;; The GC-heavy unmodified program of bench/bench_heap_profile.sh: Guile
;; building structures (lists of vectors, strings, binary trees, hash
;; tables) and dropping them, about 1 s of work. Deterministic: no time,
;; input or randomness. Automatic finalization is off, as in
;; tests/programs/churn.scm (whose loop this extends): otherwise Guile's
;; finalizer thread starts at a collection the scheduler picks and the
;; collection count varies between runs.
(use-modules (system foreign))
((pointer->procedure int
                     (dynamic-func "scm_set_automatic_finalization_enabled"
                                   (dynamic-link))
                     (list int))
 0)

(define (churn n)
  (let loop ((i 0) (acc '()))
    (if (< i n)
        (loop (+ i 1)
              (if (= 0 (modulo i 1000))
                  '()
                  (cons (make-vector 8 i) acc)))
        (length acc))))
(define (strings n)
  (let loop ((i 0) (acc '()))
    (if (< i n)
        (loop (+ i 1) (cons (make-string (+ 16 (modulo i 64)) #\x) acc))
        (length acc))))
(define (tree depth)
  (if (= depth 0)
      '()
      (cons (tree (- depth 1)) (tree (- depth 1)))))
(define (count-leaves t)
  (if (null? t) 1 (+ (count-leaves (car t)) (count-leaves (cdr t)))))
(define (table n)
  (let ((h (make-hash-table)))
    (let loop ((i 0))
      (when (< i n)
        (hash-set! h i (number->string i))
        (loop (+ i 1))))
    (hash-count (const #t) h)))
(let loop ((k 0))
  (when (< k 120)
    (churn 20000)
    (strings 2000)
    (count-leaves (tree 12))
    (table 2000)
    (loop (+ k 1))))
