package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/portalsapp/portals/bench/procfs"
)

// path is one way from a client on 127.0.0.1 to the target.
type path struct {
	name string
	addr string // the address the client dials
	// pids returns the processes that carry the path (their forked
	// children are found from them); none for a direct connection.
	pids func() []int
	// nodes are the path's Portals engines, whose local API reports their
	// Go heap and goroutines.
	nodes []*node
	// reference marks the unencrypted two-hop forwards, which show what a
	// second process on the path costs. The idle-memory test skips them.
	reference bool
}

// withoutReferences drops the two-hop reference paths.
func withoutReferences(paths []*path) []*path {
	var out []*path
	for _, p := range paths {
		if !p.reference {
			out = append(out, p)
		}
	}
	return out
}

func noPids() []int { return nil }

func cmdPids(cmds ...*exec.Cmd) func() []int {
	return func() []int {
		out := make([]int, len(cmds))
		for i, c := range cmds {
			out[i] = c.Process.Pid
		}
		return out
	}
}

// sshCipher is the cipher of the ssh path: AES-GCM like Portals, in the
// 128-bit variant that OpenSSH offers (Portals uses AES-256-GCM).
const sshCipher = "aes128-gcm@openssh.com"

// socatPath starts socat TCP-LISTEN:PORT,fork TCP:upstream. The backlog
// of 1024 (socat defaults to 5) lets the idle-memory test open
// connections in parallel.
func socatPath(r *runner, name, upstream string) (*path, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd, err := r.start(name, nil, nil, "socat",
		fmt.Sprintf("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,backlog=1024", port), "TCP:"+upstream)
	if err != nil {
		return nil, fmt.Errorf("%w; install the socat package", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitPath(addr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("socat forward on %s did not come up: %w (see %s.log)", addr, err, name)
	}
	return &path{name: name, addr: addr, pids: cmdPids(cmd)}, nil
}

// socatTwoHopPath chains two socat forwards, like socatPath, to upstream:
// the client's bytes cross two processes, as through ssh or Portals, but
// without encryption.
func socatTwoHopPath(r *runner, name, upstream string) (*path, error) {
	second, err := socatPath(r, name+"-second", upstream)
	if err != nil {
		return nil, err
	}
	first, err := socatPath(r, name+"-first", second.addr)
	if err != nil {
		return nil, err
	}
	pids := []func() []int{first.pids, second.pids}
	return &path{name: name, addr: first.addr, reference: true, pids: func() []int {
		return append(pids[0](), pids[1]()...)
	}}, nil
}

// goTwoHopPath chains two `portals-bench forward` processes to upstream,
// each with GOMAXPROCS=1 like a Portals node: two Go processes on the
// path, without a mux or encryption.
func goTwoHopPath(r *runner, name, upstream string) (*path, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var cmds []*exec.Cmd
	next := upstream
	for _, hop := range []string{"second", "first"} {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd, err := r.start(name+"-"+hop, nil, []string{"GOMAXPROCS=1"}, self, forwardCommand, addr, next)
		if err != nil {
			return nil, err
		}
		if err := waitPath(addr, 10*time.Second); err != nil {
			return nil, fmt.Errorf("forward on %s did not come up: %w (see %s-%s.log)", addr, err, name, hop)
		}
		cmds, next = append(cmds, cmd), addr
	}
	return &path{name: name, addr: next, reference: true, pids: cmdPids(cmds...)}, nil
}

// sshServer is a throwaway sshd on a loopback port that accepts one
// client key for root.
type sshServer struct {
	cmd     *exec.Cmd
	port    int
	dir     string
	keyFile string
}

// startSSHD writes a host key, a client key and a config into dir/ssh and
// starts sshd in the foreground on a free loopback port.
func startSSHD(r *runner) (*sshServer, error) {
	dir := filepath.Join(r.dir, "ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	hostKey, clientKey := filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "client_ed25519")
	for _, key := range []string{hostKey, clientKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ssh-keygen %s: %w: %s; install the openssh-client package", key, err, out)
		}
	}
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		return nil, err
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(config, []byte(sshdConfig(hostKey, authorized)), 0o600); err != nil {
		return nil, err
	}
	if err := ensurePrivsepDir(); err != nil {
		return nil, err
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd, err := r.start("sshd", nil, nil, "/usr/sbin/sshd", "-D", "-e", "-f", config, "-p", fmt.Sprint(port))
	if err != nil {
		return nil, fmt.Errorf("%w; install the openssh-server package", err)
	}
	if err := waitListening(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); err != nil {
		return nil, fmt.Errorf("sshd did not listen on port %d: %w (see sshd.log)", port, err)
	}
	return &sshServer{cmd: cmd, port: port, dir: dir, keyFile: clientKey}, nil
}

func sshdConfig(hostKey, authorized string) string {
	return strings.Join([]string{
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"PidFile none",
		"AuthorizedKeysFile " + authorized,
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"AllowTcpForwarding yes",
		"Ciphers " + sshCipher,
		"LogLevel ERROR",
		"",
	}, "\n")
}

// ensurePrivsepDir creates /run/sshd, which sshd requires and which only
// the system's service manager creates.
func ensurePrivsepDir() error {
	if _, err := os.Stat("/run/sshd"); err == nil {
		return nil
	}
	if err := os.Mkdir("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("creating sshd's privilege separation directory /run/sshd: %w; run the benchmark as root", err)
	}
	return nil
}

// sshPath starts ssh -N -L to upstream through sshd reached at sshdAddr
// (sshd itself, or a delay proxy in front of it).
func sshPath(r *runner, name string, s *sshServer, sshdAddr, upstream string) (*path, *exec.Cmd, error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	cmd, err := startSSHClient(r, name, s, sshdAddr, port, upstream)
	if err != nil {
		return nil, nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitPath(addr, 15*time.Second); err != nil {
		return nil, nil, fmt.Errorf("ssh -L on %s did not come up: %w (see %s.log and sshd.log)", addr, err, name)
	}
	return &path{name: name, addr: addr, pids: cmdPids(s.cmd, cmd)}, cmd, nil
}

func startSSHClient(r *runner, label string, s *sshServer, sshdAddr string, port int, upstream string) (*exec.Cmd, error) {
	host, sshPort, _ := strings.Cut(sshdAddr, ":")
	return r.start(label, nil, nil, "ssh", "-N", "-F", "/dev/null",
		"-L", fmt.Sprintf("127.0.0.1:%d:%s", port, upstream),
		"-p", sshPort, "-i", s.keyFile,
		"-o", "Ciphers="+sshCipher,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "ExitOnForwardFailure=yes", "-o", "Compression=no", "-o", "LogLevel=ERROR",
		"root@"+host)
}

// waitPath retries dialPath until the target's hello byte arrives.
func waitPath(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var lastErr error
	for time.Now().Before(deadline) {
		c, err := dialPath(addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(fmt.Errorf("no hello byte within %v", limit), lastErr)
}

// waitListening retries a TCP connect until it succeeds.
func waitListening(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := dialTCP(addr)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("nothing accepted connections on %s within %v", addr, limit)
}

// treeOf lists the processes of p now, forked children included.
func treeOf(p *path) []int {
	return procfs.Tree(p.pids())
}
