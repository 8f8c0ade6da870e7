;;; A fixed allocation workload for tests/check_real_programs.sh: lists,
;;; vectors and strings built and dropped in a loop. Nothing in it depends
;;; on time, input or randomness, so the collector sees the same requests
;;; in every run.
(defun churn (n)
  (let ((acc nil))
    (dotimes (i n (length acc))
      (if (zerop (mod i 1000))
          (setq acc nil)
          (push (make-array 8 :initial-element i) acc)))))
(defun strings (n)
  (let ((acc nil))
    (dotimes (i n (length acc))
      (push (make-string (+ 16 (mod i 64)) :initial-element #\x) acc))))
(dotimes (k 60) (churn 20000) (strings 2000))
(ext:quit 0)
