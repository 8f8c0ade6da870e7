;; A fixed allocation workload for tests/check_real_programs.sh: lists,
;; vectors and strings built and dropped in a loop. Nothing in it depends
;; on time, input or randomness, so the collector sees the same requests
;; in every run.
;;
;; Guile runs finalizers in a thread of its own, started when a collection
;; first finds one ready (the 2nd to 4th collection here). That thread's
;; start and its finalizers allocate concurrently with this loop, where the
;; scheduler puts them: the collection count then varied between plain
;; runs (106 to 128). With automatic finalization off, finalizers only run
;; when asked for (never, here), and one thread allocates.
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
(let loop ((k 0))
  (when (< k 60)
    (churn 20000)
    (strings 2000)
    (loop (+ k 1))))
