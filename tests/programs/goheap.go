// goheap.go - a Go program that writes its own heap profile with
// runtime/pprof, every allocation sampled, from two named functions:
// tests/check_pprof_go.sh reads it with libgcprof's pprof reader.
//
//	go run goheap.go OUT
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var sink [][]byte

//go:noinline
func allocAlpha(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 4096))
	}
}

//go:noinline
func allocBeta(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 65536))
	}
}

func main() {
	runtime.MemProfileRate = 1
	allocAlpha(100)
	allocBeta(20)
	runtime.GC() // the profile shows the state as of the latest collection
	f, err := os.Create(os.Args[1])
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
