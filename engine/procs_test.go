package engine

import (
	"runtime"
	"testing"
)

func TestSetNodeProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })

	t.Run("default", func(t *testing.T) {
		t.Setenv("GOMAXPROCS", "")
		runtime.GOMAXPROCS(2)
		if got := SetNodeProcs(); got != NodeProcs || runtime.GOMAXPROCS(0) != NodeProcs {
			t.Fatalf("SetNodeProcs() = %d, GOMAXPROCS = %d; want both %d", got, runtime.GOMAXPROCS(0), NodeProcs)
		}
	})

	t.Run("environment wins", func(t *testing.T) {
		// The runtime reads the variable only at start, so the test sets
		// the variable and the value it would have produced.
		t.Setenv("GOMAXPROCS", "3")
		runtime.GOMAXPROCS(3)
		if got := SetNodeProcs(); got != 3 || runtime.GOMAXPROCS(0) != 3 {
			t.Fatalf("SetNodeProcs() = %d, GOMAXPROCS = %d; want both 3 from the environment", got, runtime.GOMAXPROCS(0))
		}
	})
}
