package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
)

// pgBin is the directory of the PostgreSQL server programs of the base image.
const pgBin = "/usr/lib/postgresql/15/bin"

// pgQuery is the query compared directly and through the portal.
const pgQuery = "select id, name, qty from parts order by id"

// startPostgres runs a throwaway PostgreSQL server on a free loopback
// port, with trust authentication, and returns the port. It needs root,
// to run the server as the postgres user.
func startPostgres(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the PostgreSQL server is started as the postgres user with runuser")
	}
	for _, prog := range []string{filepath.Join(pgBin, "initdb"), filepath.Join(pgBin, "pg_ctl")} {
		if _, err := os.Stat(prog); err != nil {
			t.Skipf("PostgreSQL 15 server programs missing: %v", err)
		}
	}
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql missing: install the postgresql-client package")
	}

	// Not t.TempDir: its parent is mode 0700 and owned by root, so the
	// postgres user could not reach it.
	dir, err := os.MkdirTemp("", "portals-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	runRoot(t, "chown", "postgres:postgres", dir)

	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	runRoot(t, "runuser", "-u", "postgres", "--", "mkdir", sock)
	runRoot(t, "runuser", "-u", "postgres", "--", filepath.Join(pgBin, "initdb"),
		"-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions")

	port := mustAtoi(t, strings.TrimPrefix(freePort(t), "127.0.0.1:"))
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, sock)
	runRoot(t, "runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"),
		"-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "30", "-o", opts, "start")
	t.Cleanup(func() {
		exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"),
			"-D", data, "-m", "immediate", "-w", "stop").Run()
	})

	psql(t, port, "create table parts (id int primary key, name text, qty int)")
	psql(t, port, "insert into parts values (1, 'bolt', 120), (2, 'nut', 300), (3, 'washer, flat', 75), (4, 'gear|pin', 0)")
	return port
}

func runRoot(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// psql runs one command with psql against 127.0.0.1:port and returns its
// unaligned, tuples-only output.
func psql(t *testing.T, port int, command string) string {
	t.Helper()
	cmd := exec.Command("psql", "-X", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres",
		"-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", command)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=20", "PGPASSWORD=", "PGSSLMODE=disable")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql -p %d -c %q: %v\n%s", port, command, err, errOut.String())
	}
	return out.String()
}

// TestPsqlThroughPortal runs psql through a relayed portal to a real
// PostgreSQL server, then restarts both engines and runs it again through
// the same inlet port.
func TestPsqlThroughPortal(t *testing.T) {
	pgPort := startPostgres(t)
	want := psql(t, pgPort, pgQuery)
	if strings.Count(want, "\n") != 4 {
		t.Fatalf("direct query returned %q, want 4 rows", want)
	}

	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", net.JoinHostPort("127.0.0.1", strconv.Itoa(pgPort)))
	inlet := accept(t, n.accepterDir, link)
	_, inletPort, err := net.SplitHostPort(inlet.Addr)
	if err != nil {
		t.Fatalf("accept gave inlet address %q: %v", inlet.Addr, err)
	}

	if got := psql(t, mustAtoi(t, inletPort), pgQuery); got != want {
		t.Errorf("through the portal psql printed %q, directly %q", got, want)
	}

	n.sharer.terminate(t)
	n.accepter.terminate(t)
	n.startSharer(t)
	n.startAccepter(t)

	s := lsJSON(t, n.accepterDir)
	if len(s.Inlets) != 1 || s.Inlets[0].Addr != inlet.Addr {
		t.Fatalf("after the restart ls --json lists inlets %+v, want one at %s", s.Inlets, inlet.Addr)
	}
	waitSnapshot(t, n.accepterDir, 10*time.Second, "the inlet to listen again", func(s *engine.Snapshot) bool {
		return len(s.Inlets) == 1 && s.Inlets[0].LastError == "" && canDial(s.Inlets[0].Addr)
	})
	if got := psql(t, mustAtoi(t, inletPort), pgQuery); got != want {
		t.Errorf("after the restart psql through the portal printed %q, directly %q", got, want)
	}
}

// canDial reports whether something accepts TCP connections at addr.
func canDial(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
