package cases_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pgBin holds the PostgreSQL server programs of the base image.
const pgBin = "/usr/lib/postgresql/15/bin"

// C12: psql against PostgreSQL, curl against an HTTP server and ssh
// against sshd, each through its own portal, all at once, give the same
// results as direct connections.
func TestRealClients(t *testing.T) {
	needRoot(t, "it runs PostgreSQL as the postgres user and sshd")
	targets := map[string]string{
		"pg":   startPostgres(t),
		"http": startHTTP(t),
		"ssh":  "", // set below
	}
	sshTarget, sshArgs := startSSHD(t)
	targets["ssh"] = sshTarget

	clients := map[string]func(addr string) (string, error){
		"pg": func(addr string) (string, error) {
			host, port, _ := net.SplitHostPort(addr)
			return run("psql", "-X", "-A", "-t", "-h", host, "-p", port, "-U", "postgres", "-d", "postgres",
				"-c", "select count(*), sum(g) from generate_series(1, 100000) g",
				"-c", "select md5(string_agg(g::text, ',')) from generate_series(1, 50000) g")
		},
		"http": func(addr string) (string, error) {
			return run("curl", "-sS", "--max-time", "20", "http://"+addr+"/data")
		},
		"ssh": func(addr string) (string, error) {
			_, port, _ := net.SplitHostPort(addr)
			return run("ssh", append(sshArgs, "-p", port, "root@127.0.0.1", "echo ok; head -c 1000000 /dev/zero | sha256sum")...)
		},
	}

	direct := map[string]string{}
	for name, client := range clients {
		out, err := client(targets[name])
		if err != nil {
			t.Fatalf("%s directly to %s: %v\n%s", name, targets[name], err, out)
		}
		if strings.TrimSpace(out) == "" {
			t.Fatalf("%s directly to %s printed nothing, want a result to compare", name, targets[name])
		}
		direct[name] = out
	}

	eachRoute(t, func(t *testing.T, route string) {
		p := openPortal(t, route, targets["pg"], nil)
		inlets := map[string]string{"pg": p.inlet}
		for _, name := range []string{"http", "ssh"} {
			inlets[name] = p.addService(t, name, targets[name])
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[string]string{}
		errs := map[string]error{}
		start := time.Now()
		for name, client := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := client(inlets[name])
				mu.Lock()
				results[name], errs[name] = out, err
				mu.Unlock()
			}()
		}
		wg.Wait()
		t.Logf("psql, curl and ssh through the portals at once took %v", time.Since(start).Round(time.Millisecond))

		for name := range clients {
			if errs[name] != nil {
				t.Errorf("%s through the portal %s: %v\n%s", name, inlets[name], errs[name], results[name])
				continue
			}
			if results[name] != direct[name] {
				t.Errorf("%s through the portal printed %q, want %q as directly", name, trimLines(results[name], 3), trimLines(direct[name], 3))
			}
		}
	})
}

// addService shares target as name on the sharer and accepts it on the
// accepter, returning the new inlet's address.
func (p *portalPath) addService(t *testing.T, name, target string) string {
	t.Helper()
	if err := p.sharer.Share(name, target); err != nil {
		t.Fatalf("sharer: Share %s: %v", name, err)
	}
	link, err := p.sharer.Invite(name, 0, 0)
	if err != nil {
		t.Fatalf("sharer: Invite %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	res, err := p.accepter.Accept(ctx, link, 0)
	if err != nil {
		t.Fatalf("accepter: Accept %s: %v", name, err)
	}
	return res.Addr
}

// run runs a client program with a time limit and returns its output.
func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=20")
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), fmt.Errorf("%s: %w", name, err)
	}
	return stdout.String(), nil
}

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root: %s", why)
	}
}

// startHTTP serves 4 MiB of fixed bytes at /data over net/http on a free
// loopback port and returns the address.
func startHTTP(t *testing.T) string {
	t.Helper()
	body := bytes.Repeat([]byte("portals http body\n"), 4<<20/18)
	sum := sha256.Sum256(body)
	ln := listen(t)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/data" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("X-Sha256", fmt.Sprintf("%x", sum))
			w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// startPostgres runs a throwaway PostgreSQL cluster as the postgres user on
// a free loopback port with trust authentication for 127.0.0.1, and stops
// it at cleanup.
func startPostgres(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "portals-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown %s: %v\n%s", dir, err, out)
	}
	asPostgres := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	asPostgres(filepath.Join(pgBin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
	hba := "host all all 127.0.0.1/32 trust\nlocal all all trust\n"
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	exec.Command("chown", "postgres:postgres", filepath.Join(data, "pg_hba.conf")).Run()

	addr := closedAddr(t)
	_, port := splitPort(t, addr)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, sock)
	asPostgres(filepath.Join(pgBin, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "30", "start")
	t.Cleanup(func() {
		cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("stopping PostgreSQL: %v\n%s", err, out)
		}
	})
	return addr
}

// startSSHD runs sshd on a free loopback port with a throwaway host key
// and a throwaway user key for root, and returns its address and the ssh
// options that log in with that key.
func startSSHD(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	hostKey, userKey := filepath.Join(dir, "host_key"), filepath.Join(dir, "user_key")
	for _, key := range []string{hostKey, userKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "sshd_config")
	conf := strings.Join([]string{
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"PidFile none",
		"UsePAM no",
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"ListenAddress 127.0.0.1",
	}, "\n") + "\n"
	if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd insists on its privilege separation directory.
	os.MkdirAll("/run/sshd", 0o755)

	addr := closedAddr(t)
	_, port := splitPort(t, addr)
	startCmd(t, exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", config, "-p", strconv.Itoa(port)))
	if !waitUntil(10*time.Second, func() bool { return canDial(addr) }) {
		t.Fatalf("sshd does not listen on %s after 10 s", addr)
	}
	args := []string{
		"-i", userKey, "-F", "none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + filepath.Join(dir, "known_hosts"), "-o", "StrictHostKeyChecking=accept-new",
		"-o", "ConnectTimeout=20",
	}
	return addr, args
}
