//go:build race && linux

package sockio

import (
	"runtime"
	"unsafe"
)

// ioSync is the race detector's stand-in for the data a socket carries
// between goroutines. Raw system calls are invisible to the detector, so,
// like package syscall, Conn reports a write as releasing it and a read as
// acquiring it.
var ioSync int64

// raceBeforeWrite records that the bytes in p are about to be read by the
// kernel, and that everything before the write happens before a later
// read of the data.
func raceBeforeWrite(p []byte) {
	runtime.RaceReleaseMerge(unsafe.Pointer(&ioSync))
	if len(p) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&p[0]), len(p))
	}
}

// raceAfterRead records that the kernel wrote p[:n], and that the read
// happens after the write that sent the data.
func raceAfterRead(p []byte, n int) {
	if n > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&p[0]), n)
	}
	runtime.RaceAcquire(unsafe.Pointer(&ioSync))
}
