// goleak.go - a Go program that leaks, for gcprof top, flame and diff
// (tests/check_gcprof_views.sh): every allocation sampled, two heap
// profiles written with runtime/pprof, OLD after a first round and NEW
// after a second that leaks more from the same recursive stack.
//
//	go run goleak.go OLD NEW
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var kept = make([][]byte, 0, 100000)
var sink []byte

//go:noinline
func leakDeep(n, depth int) {
	if depth > 0 {
		leakDeep(n, depth-1)
		return
	}
	for i := 0; i < n; i++ {
		kept = append(kept, make([]byte, 1000))
	}
}

//go:noinline
func leakFlat(n int) {
	for i := 0; i < n; i++ {
		kept = append(kept, make([]byte, 3000))
	}
}

//go:noinline
func churn(n int) {
	for i := 0; i < n; i++ {
		sink = make([]byte, 8192) // garbage by the next round
	}
	sink = nil
}

func write(path string) {
	runtime.GC() // the profile shows the state as of the latest collection
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}

func main() {
	runtime.MemProfileRate = 1
	leakDeep(50, 3)
	leakFlat(20)
	churn(100)
	write(os.Args[1])
	leakDeep(400, 3)
	leakFlat(20)
	write(os.Args[2])
}
