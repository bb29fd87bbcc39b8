package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
)

// TestInletPortTakenAtRestart restarts the accepter while another program
// holds its inlet port: ls shows the problem, and the inlet binds once the
// port is free again.
func TestInletPortTakenAtRestart(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))
	inlet := accept(t, n.accepterDir, link)
	echoOnce(t, inlet.Addr)

	n.accepter.terminate(t)
	squatter, err := net.Listen("tcp", inlet.Addr)
	if err != nil {
		t.Fatalf("taking the inlet port %s: %v", inlet.Addr, err)
	}
	defer squatter.Close()
	n.startAccepter(t)

	waitSnapshot(t, n.accepterDir, 10*time.Second, "the inlet error in the snapshot", func(s *engine.Snapshot) bool {
		return len(s.Inlets) == 1 && strings.Contains(s.Inlets[0].LastError, inlet.Addr)
	})
	human := mustPortals(t, "ls", "--state-dir", n.accepterDir)
	if !strings.Contains(human, "already in use") {
		t.Errorf("ls does not show that the port is in use:\n%s", human)
	}

	squatter.Close()
	took := waitSnapshot(t, n.accepterDir, 20*time.Second, "the inlet to bind the freed port", func(s *engine.Snapshot) bool {
		return len(s.Inlets) == 1 && s.Inlets[0].LastError == ""
	})
	t.Logf("the inlet bound %v after the port was freed", took)
	echoOnce(t, inlet.Addr)
}
