package engine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a goroutine outlives the tests: every
// engine, relay and proxy a test starts must be gone once it is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
