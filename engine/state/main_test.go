package state

import (
	"bufio"
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/portalsapp/portals/engine/identity"
)

// helperLockEnv, when set to a directory, turns the test binary into a
// helper process that holds the lock on that directory (see
// runLockHelper).
const helperLockEnv = "PORTALS_STATE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperLockEnv); dir != "" {
		os.Exit(runLockHelper(dir))
	}
	goleak.VerifyTestMain(m)
}

// runLockHelper takes the lock on dir, prints "locked", and then follows
// commands on stdin: "unlock" releases the lock and prints "unlocked". It
// exits when stdin closes, which bounds its life by the parent's.
func runLockHelper(dir string) int {
	lock, err := Lock(dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")

	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		if lines.Text() == "unlock" {
			if err := lock.Close(); err != nil {
				fmt.Println("error:", err)
				return 1
			}
			fmt.Println("unlocked")
		}
	}
	return 0
}

// testID returns a valid identifier derived from n.
func testID(n byte) identity.ID {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = n
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	return identity.IDFromPublicKey(pub)
}

// fullState returns a valid state that uses every field.
func fullState() *State {
	return &State{
		Version:     Version,
		DisplayName: "Ada's laptop",
		Listen:      []string{"0.0.0.0:7443", "[::1]:7443"},
		Relays: []Relay{
			{Addr: "relay.example.com:7443", ID: testID(1)},
			{Addr: "192.0.2.1:443", ID: testID(2)},
		},
		Peers: []Peer{
			{ID: testID(3), Name: "db server", Routes: []Route{
				{Direct: "db.internal:7443"},
				{Relay: "relay.example.com:7443", RelayID: testID(1)},
			}},
			{ID: testID(4), Routes: []Route{{Direct: "[2001:db8::1]:7443"}}},
		},
	}
}

// assertContains fails the test unless message contains each of parts.
func assertContains(t *testing.T, message string, parts ...string) {
	t.Helper()

	for _, part := range parts {
		if !strings.Contains(message, part) {
			t.Errorf("message %q does not contain %q", message, part)
		}
	}
}
