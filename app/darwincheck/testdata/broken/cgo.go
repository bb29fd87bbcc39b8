//go:build darwin

package broken

// #include <stdlib.h>
import "C"

// Free shows that a cgo file type-checks without a C toolchain: FakeImportC
// accepts every C name.
func Free(p *C.char) {
	C.free(nil)
	_ = p
}
