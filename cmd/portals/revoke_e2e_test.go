package main

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// TestRevokeCutsDownload revokes an accepter in the middle of an endless
// download: the download ends within 1 s of the revoke command, and a new
// connection through the inlet gets nothing.
func TestRevokeCutsDownload(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "feed", serveTCP(t, streamPattern))
	inlet := accept(t, n.accepterDir, link)

	c, err := net.DialTimeout("tcp", inlet.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))

	// Read and check the pattern until the end of the connection, which
	// the revoke below must cause.
	const before = 1 << 20
	received := make(chan int64, 1)
	ended := make(chan time.Time, 1)
	readErr := make(chan error, 1)
	go func() {
		buf := make([]byte, 32<<10)
		var total int64
		for {
			k, err := c.Read(buf)
			for i := range k {
				if buf[i] != byte(total+int64(i)) {
					readErr <- errors.New("the stream through the portal is not the pattern the server wrote")
					ended <- time.Now()
					return
				}
			}
			total += int64(k)
			if total >= before && total-int64(k) < before {
				received <- total
			}
			if err != nil {
				ended <- time.Now()
				readErr <- err
				return
			}
		}
	}()

	select {
	case <-received:
	case <-time.After(20 * time.Second):
		t.Fatalf("received less than %d bytes through the portal in 20s", before)
	}

	accepterID := nodeIDOf(t, n.accepterDir)
	revoked := time.Now()
	mustPortals(t, "revoke", "feed", accepterID, "--state-dir", n.sharerDir)
	var end time.Time
	select {
	case end = <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the download was still running 10s after the revoke")
	}
	took := end.Sub(revoked)
	err = <-readErr
	t.Logf("download ended %v after the revoke command started, with %v", took, err)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the download ended by the test's read deadline, not by the revoke")
	}
	if err != nil && strings.Contains(err.Error(), "pattern") {
		t.Error(err)
	}
	if took > time.Second {
		t.Errorf("the download ended %v after the revoke, want within 1s", took)
	}

	expectRejected(t, inlet.Addr)
	waitUntil(t, 5*time.Second, `"denied" in the accepter's log`, func() bool {
		return strings.Contains(n.accepter.stderr.String(), "denied")
	})
	if s := lsJSON(t, n.sharerDir); len(s.Services) != 1 || len(s.Services[0].Access) != 0 || s.Services[0].Connections != 0 {
		t.Errorf("after the revoke the sharer shows %+v, want nobody on the access list and no connection", s.Services)
	}
}
