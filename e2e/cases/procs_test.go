package cases_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/localapi"
)

// portalsProc is a running portals process.
type portalsProc struct {
	name string
	args []string
	dir  string // its state directory
	ns   string // network namespace it runs in, or ""
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr
	done chan struct{}

	// client is the one local API client of the process: each client
	// keeps its own connection open in the engine, which would count as
	// a leaked descriptor and goroutine if every call made a new one.
	client *localapi.Client
}

// startPortals runs portals with args (its state directory is dir) in
// network namespace ns ("" for this one), with the file vault. It is
// killed at cleanup.
func startPortals(t *testing.T, name, dir, ns string, args ...string) *portalsProc {
	t.Helper()
	p := &portalsProc{name: name, args: args, dir: dir, ns: ns}
	p.start(t)
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of %s (portals %s):\n%s", name, strings.Join(args, " "), tailLines(p.out.String(), 60))
		}
	})
	return p
}

// start starts the process; after kill it starts it again with the same
// arguments.
func (p *portalsProc) start(t *testing.T) {
	t.Helper()
	// The subcommand comes first: portals SUBCOMMAND --state-dir DIR ...
	full := append([]string{p.args[0], "--state-dir", p.dir}, p.args[1:]...)
	var cmd *exec.Cmd
	if p.ns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", p.ns, portalsBin}, full...)...)
	} else {
		cmd = exec.Command(portalsBin, full...)
	}
	cmd.Env = append(os.Environ(), "PORTALS_VAULT=file", "PORTALS_HOME=")
	if p.out == nil {
		p.out = &syncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		close(p.done)
	}()
}

// kill sends SIGKILL and waits for the process to end.
func (p *portalsProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *portalsProc) pid() int { return p.cmd.Process.Pid }

// rss returns the resident set size of the process, from /proc.
func (p *portalsProc) rss(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		t.Fatalf("reading the status of %s: %v", p.name, err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("parsing VmRSS of %s: %q", p.name, line)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS for %s", p.name)
	return 0
}

// fds counts the open descriptors of the process, from /proc.
func (p *portalsProc) fds(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.pid()))
	if err != nil {
		t.Fatalf("counting the descriptors of %s: %v", p.name, err)
	}
	return len(entries)
}

// cpu returns the CPU time the process has used, from /proc.
func (p *portalsProc) cpu(t *testing.T) time.Duration {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
	if err != nil {
		t.Fatalf("reading the stat of %s: %v", p.name, err)
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// api returns a local API client for the engine process.
func (p *portalsProc) api() *localapi.Client {
	if p.client == nil {
		p.client = localapi.NewClient(p.dir)
	}
	return p.client
}

// runtime requests the goroutines, descriptors and RSS of the engine process.
func (p *portalsProc) runtime(t *testing.T) *localapi.RuntimeStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := p.api().Runtime(ctx)
	if err != nil {
		t.Fatalf("%s: GET /v1/debug/runtime: %v", p.name, err)
	}
	return s
}

// waitEngine waits until the engine process responds on its local API and
// cond holds for its snapshot.
func (p *portalsProc) waitEngine(t *testing.T, what string, timeout time.Duration, cond func(*engine.Snapshot) bool) {
	t.Helper()
	ok := waitUntil(timeout, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s, err := p.api().Snapshot(ctx)
		return err == nil && cond(s)
	})
	if !ok {
		t.Fatalf("%s: still waiting after %v for %s", p.name, timeout, what)
	}
}

// procPath is a portal between engine processes, directly or through a
// relay process.
type procPath struct {
	route       string
	inlet       string
	sharer      *portalsProc
	accepter    *portalsProc
	relay       *portalsProc // nil on the direct route
	relayAddr   string
	sharerFlags []string
}

// openProcPortal starts a sharer and an accepter process (and a relay on
// the relay route) in namespace ns, shares target as "svc", invites and
// accepts it. upFlags go to both `portals up` commands.
func openProcPortal(t *testing.T, route, target, ns string, upFlags ...string) *procPath {
	t.Helper()
	base := t.TempDir()
	p := &procPath{route: route}
	sharerArgs := append([]string{"up"}, upFlags...)
	if route == "relay" {
		p.relayAddr = freeAddrIn(t, ns)
		p.relay = startPortals(t, "relay", filepath.Join(base, "relay"), ns, "relay", "--listen", p.relayAddr, "--print-link")
		link := p.relay.waitLink(t)
		sharerArgs = append(sharerArgs, "--relay", link)
	} else {
		sharerArgs = append(sharerArgs, "--listen", freeAddrIn(t, ns))
	}
	p.sharerFlags = sharerArgs[1:]
	p.sharer = startPortals(t, "sharer", filepath.Join(base, "sharer"), ns, sharerArgs...)
	p.accepter = startPortals(t, "accepter", filepath.Join(base, "accepter"), ns, append([]string{"up"}, upFlags...)...)
	p.sharer.waitEngine(t, "the engine to be up", setupTimeout, func(s *engine.Snapshot) bool {
		return route == "direct" || len(s.Relays) == 1 && s.Relays[0].State == engine.StateUp
	})
	p.accepter.waitEngine(t, "the engine to be up", setupTimeout, func(*engine.Snapshot) bool { return true })

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := p.sharer.api().Share(ctx, "svc", target); err != nil {
		t.Fatalf("sharer: share: %v", err)
	}
	inv, err := p.sharer.api().Invite(ctx, "svc", localapi.InviteRequest{})
	if err != nil {
		t.Fatalf("sharer: invite: %v", err)
	}
	res, err := p.accepter.api().Accept(ctx, inv.Link, 0)
	if err != nil {
		t.Fatalf("accepter: accept: %v", err)
	}
	p.inlet = res.Addr
	return p
}

// waitLink waits for a relay process to print its link.
func (p *portalsProc) waitLink(t *testing.T) string {
	t.Helper()
	var link string
	ok := waitUntil(10*time.Second, func() bool {
		for line := range strings.Lines(p.out.String()) {
			if strings.HasPrefix(line, "portals://relay/") {
				link = strings.TrimSpace(line)
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("%s printed no relay link within 10 s", p.name)
	}
	return link
}

// freeAddrIn returns a loopback address whose port was free a moment ago.
// Ports are per namespace, and a fresh namespace has every port free.
func freeAddrIn(t *testing.T, ns string) string {
	t.Helper()
	return closedAddr(t)
}

// dial connects a client to the inlet.
func (p *procPath) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.inlet, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing the inlet %s: %v", p.inlet, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// engines returns the engine processes of the path.
func (p *procPath) engines() []*portalsProc { return []*portalsProc{p.sharer, p.accepter} }

// all returns every process of the path.
func (p *procPath) all() []*portalsProc {
	if p.relay != nil {
		return []*portalsProc{p.sharer, p.accepter, p.relay}
	}
	return p.engines()
}

// tailLines returns the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
