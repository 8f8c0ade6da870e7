;; For tests/check_breakdown_real.sh: build a live set, then write this
;; process's own Rss line (smaps_rollup) to the file $BREAKDOWN_RSS_OUT.
(use-modules (ice-9 rdelim))
(define data
  (let loop ((i 0) (acc '()))
    (if (< i 400000) (loop (+ i 1) (cons (make-string 24 #\a) acc)) acc)))
(define (rss-line)
  (call-with-input-file "/proc/self/smaps_rollup"
    (lambda (p)
      (let loop ((l (read-line p)))
        (cond ((eof-object? l) "Rss: 0 kB")
              ((string-prefix? "Rss:" l) l)
              (else (loop (read-line p))))))))
(gc) ; a full collection first, as the exit's breakdown has: marking this
     ; long list grows bdwgc's mark stack (its own memory) by megabytes
(call-with-output-file (getenv "BREAKDOWN_RSS_OUT")
  (lambda (o) (display (rss-line) o) (newline o)))
(display (length data))
(newline)
