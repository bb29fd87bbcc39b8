package engine

import (
	"os"
	"runtime"
)

// NodeProcs is the GOMAXPROCS of a process that runs an engine, unless
// the GOMAXPROCS environment variable sets another value.
//
// Each portal write is handed from the copy goroutine to the session's
// send loop, and each received frame from the receive loop to the stream
// reader. With a second P idle, each handoff wakes a spinning OS thread
// that mostly sleeps again. One P cut the CPU per GiB of a direct portal
// from 1.71 to 1.40 s in `make bench` on a 2-core machine. The cost is
// small because a session's data path is serial anyway: one send loop
// and one receive loop.
const NodeProcs = 1

// SetNodeProcs applies NodeProcs to this process and returns the
// GOMAXPROCS in effect. A GOMAXPROCS environment variable wins, so a node
// that serves many busy peers can use more cores. Commands call it once
// at start, because a library should not change the scheduler of the
// whole process.
func SetNodeProcs() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(NodeProcs)
	return NodeProcs
}
