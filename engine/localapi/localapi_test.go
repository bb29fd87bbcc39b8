package localapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/localapi"
)

// startAPI starts an engine in a temporary directory and serves its local
// API. Both stop at cleanup.
func startAPI(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	dir := t.TempDir()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	e, err := engine.Start(context.Background(), engine.Options{StateDir: dir, VaultKind: "file", Logger: logger})
	if err != nil {
		t.Fatalf("engine.Start: %v", err)
	}
	srv, err := localapi.Listen(dir, e, logger)
	if err != nil {
		e.Close()
		t.Fatalf("localapi.Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing the local API: %v", err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("closing the engine: %v", err)
		}
		if t.Failed() {
			t.Logf("engine logs:\n%s", logs.String())
		}
	})
	return e, dir
}

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSnapshot(t *testing.T) {
	e, dir := startAPI(t)
	snap, err := localapi.NewClient(dir).Snapshot(callCtx(t))
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if snap.ID != e.ID() {
		t.Errorf("snapshot ID is %v, want the engine's %v", snap.ID.Short(), e.ID().Short())
	}
	if snap.StateDir != dir {
		t.Errorf("snapshot state_dir is %q, want %q", snap.StateDir, dir)
	}
}

func TestSocketMode(t *testing.T) {
	_, dir := startAPI(t)
	info, err := os.Stat(localapi.SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Type() != os.ModeSocket {
		t.Errorf("%s has type %v, want a socket", localapi.SocketPath(dir), info.Mode().Type())
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket has mode %04o, want 0600", perm)
	}
}

func TestRejectsBrowserOrigin(t *testing.T) {
	_, dir := startAPI(t)
	path := localapi.SocketPath(dir)
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	get := func(origin string) int {
		req, err := http.NewRequestWithContext(callCtx(t), http.MethodGet, "http://portals/v1/snapshot", nil)
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET /v1/snapshot: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if code := get(""); code != http.StatusOK {
		t.Errorf("GET /v1/snapshot without Origin: status %d, want %d", code, http.StatusOK)
	}
	if code := get("http://example.com"); code != http.StatusForbidden {
		t.Errorf("GET /v1/snapshot with an Origin header: status %d, want %d", code, http.StatusForbidden)
	}
}

func TestAddRelayMalformedLink(t *testing.T) {
	_, dir := startAPI(t)
	client := localapi.NewClient(dir)
	_, err := client.AddRelay(callCtx(t), "portals://relay/not-a-link")
	if err == nil {
		t.Fatal("AddRelay accepted a malformed link")
	}
	if !strings.Contains(err.Error(), "invalid relay link") {
		t.Errorf("AddRelay error is %q, want it to say the relay link is invalid", err)
	}
	snap, err := client.Snapshot(callCtx(t))
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if len(snap.Relays) != 0 {
		t.Errorf("snapshot lists %d relays after a rejected link, want 0", len(snap.Relays))
	}
}

func TestNoEngine(t *testing.T) {
	checkNoEngine := func(t *testing.T, dir string) {
		t.Helper()
		_, err := localapi.NewClient(dir).Snapshot(callCtx(t))
		if !errors.Is(err, localapi.ErrNoEngine) {
			t.Fatalf("Snapshot: %v, want an error wrapping localapi.ErrNoEngine", err)
		}
		if !strings.Contains(err.Error(), "portals up") {
			t.Errorf("error %q does not say how to start an engine (`portals up`)", err)
		}
	}

	t.Run("no socket", func(t *testing.T) {
		checkNoEngine(t, t.TempDir())
	})

	t.Run("stale socket", func(t *testing.T) {
		dir := t.TempDir()
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: localapi.SocketPath(dir), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		ln.SetUnlinkOnClose(false)
		ln.Close()
		if _, err := os.Stat(localapi.SocketPath(dir)); err != nil {
			t.Fatalf("the stale socket is gone: %v", err)
		}
		checkNoEngine(t, dir)
	})
}
