;; For tests/check_breakdown_real.sh: build a live set, then write this
;; process's own Rss line (smaps_rollup) to the file $BREAKDOWN_RSS_OUT.
(defvar *data* (loop for i below 400000 collect (make-string 24 :initial-element #\a)))
(ext:gc t) ; a full collection first, as the exit's breakdown has: marking
           ; this long list grows bdwgc's mark stack (its own memory)
(with-open-file (out (ext:getenv "BREAKDOWN_RSS_OUT") :direction :output :if-exists :supersede)
  (with-open-file (in "/proc/self/smaps_rollup")
    (loop for line = (read-line in nil) while line
          when (and (> (length line) 4) (string= "Rss:" (subseq line 0 4)))
            do (write-line line out))))
(format t "~a~%" (length *data*))
(quit)
