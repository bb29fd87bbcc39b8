package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/invite"
)

// acceptLine is the output of `portals accept` that the README shows.
var acceptLine = regexp.MustCompile(`^web from pid1:[a-z2-7]{4}-[a-z2-7]{4} is now at (127\.0\.0\.1:[0-9]+)\n$`)

// TestQuickStartFlow runs the two-node flow of the README and of `portals
// demo`: share, invite, accept, then curl through the inlet.
func TestQuickStartFlow(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl missing: install the curl package")
	}

	www := t.TempDir()
	data := make([]byte, 4<<20)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(www, "random.bin"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(www)), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "web", ln.Addr().String())
	if !strings.HasPrefix(link, invite.LinkPrefix) {
		t.Fatalf("portals invite printed %q, want a link starting with %s", link, invite.LinkPrefix)
	}

	// The README shows the human output of accept, not --json.
	out := mustPortals(t, "accept", link, "--state-dir", n.accepterDir)
	m := acceptLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("portals accept printed %q, want %q", out, acceptLine)
	}
	inletAddr := m[1]

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, curl, "-sS", "--fail", "--noproxy", "*", "http://"+inletAddr+"/random.bin")
	cmd.Stdout, cmd.Stderr = &got, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl through the inlet %s: %v\n%s", inletAddr, err, errOut.String())
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Errorf("curl received %d bytes whose SHA-256 differs from the %d bytes served", got.Len(), len(data))
	}
}

// TestDemoFetchesFile runs `portals demo` and checks that it ends well within 60 s
// and reports the file intact.
func TestDemoFetchesFile(t *testing.T) {
	stdout, stderr, code, took := runPortalsWithin(t, 60*time.Second, "demo")
	t.Logf("portals demo took %v", took)
	if code != 0 {
		t.Errorf("portals demo: exit %d, want 0; stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "The SHA-256 matches the original.") {
		t.Errorf("portals demo did not print that the SHA-256 matches; stdout:\n%s", stdout)
	}
}
