package engine

import (
	"os"
	"runtime"
)

// NodeProcs is how many Go scheduler Ps (GOMAXPROCS) a process that runs
// an engine uses, unless the GOMAXPROCS environment variable says
// otherwise.
//
// Every byte of a portal passes through goroutine handoffs: the copy
// loop hands each write to the session's send loop, and the session's
// receive loop wakes the stream's reader. With a second P idle, each
// handoff wakes a spinning OS thread that mostly finds nothing to do and
// sleeps again. On the 2-core benchmark machine one P cut the CPU per GiB
// of a direct portal from 1.71 to 1.40 s and raised one stream from about
// 7 to 8.7 Gbit/s (`make bench`; docs/benchmarks.md). A session's data
// path is serial anyway (one send loop, one receive loop), so the cap
// costs little parallelism: one core seals and opens about 5 GB/s.
const NodeProcs = 1

// SetNodeProcs applies NodeProcs to this process and returns the
// GOMAXPROCS now in effect. An explicit GOMAXPROCS in the environment
// wins, so a node that serves many busy peers can take more cores.
// Commands call it once at start; the engine does not, since a library
// should not change a whole process's scheduler behind its caller.
func SetNodeProcs() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(NodeProcs)
	return NodeProcs
}
