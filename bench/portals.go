package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/localapi"
	"github.com/portalsapp/portals/engine/state"
)

// serviceName is the name under which every sharer shares the target.
const serviceName = "bench"

// vaultEnv makes every Portals process keep its keys in a file vault in
// its temporary state directory.
var vaultEnv = []string{"PORTALS_VAULT=file"}

// node is a running `portals up`.
type node struct {
	cmd *exec.Cmd
	dir string
	api *localapi.Client
}

func (n *node) pid() int { return n.cmd.Process.Pid }

// portalsEnv starts Portals processes from one binary.
type portalsEnv struct {
	r   *runner
	exe string
}

// up starts `portals up` with a fresh state directory named label and
// waits for its local API.
func (p *portalsEnv) up(label string, args ...string) (*node, error) {
	dir := filepath.Join(p.r.dir, label)
	cmd, err := p.r.start(label, nil, vaultEnv, p.exe, append([]string{"up", "--state-dir", dir}, args...)...)
	if err != nil {
		return nil, err
	}
	n := &node{cmd: cmd, dir: dir, api: localapi.NewClient(dir)}
	if err := waitSnapshot(n, func(*engine.Snapshot) bool { return true }); err != nil {
		return nil, fmt.Errorf("portals up (%s) did not serve its local API: %w (see %s.log)", label, err, label)
	}
	return n, nil
}

// relay starts `portals relay` and returns its link.
func (p *portalsEnv) relay(label, listen string) (string, *exec.Cmd, error) {
	dir := filepath.Join(p.r.dir, label)
	var out syncBuffer
	cmd, err := p.r.start(label, &out, vaultEnv, p.exe, "relay", "--listen", listen, "--print-link", "--state-dir", dir)
	if err != nil {
		return "", nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, "portals://relay/") {
				return strings.TrimSpace(line), cmd, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", nil, fmt.Errorf("the relay printed no link within 10s (see %s.log)", label)
}

// share shares the target on n and returns one invitation link.
func (n *node) share(target string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.api.Share(ctx, serviceName, target); err != nil {
		return fmt.Errorf("sharing the target: %w", err)
	}
	return nil
}

func (n *node) invite() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := n.api.Invite(ctx, serviceName, localapi.InviteRequest{Uses: 1, Expires: "1h"})
	if err != nil {
		return "", fmt.Errorf("creating an invitation: %w", err)
	}
	return resp.Link, nil
}

// accept redeems link through the local API and returns the inlet address.
func (n *node) accept(link string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := n.api.Accept(ctx, link, 0)
	if err != nil {
		return "", fmt.Errorf("accepting the invitation: %w", err)
	}
	return res.Addr, nil
}

// acceptCLI runs `portals accept LINK --json` as a user would and returns
// the inlet address.
func (p *portalsEnv) acceptCLI(n *node, link string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.exe, "accept", link, "--state-dir", n.dir, "--json")
	cmd.Env = append(cmd.Environ(), vaultEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("portals accept: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res engine.AcceptResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return "", fmt.Errorf("reading the output of portals accept: %w", err)
	}
	return res.Addr, nil
}

// rerouteLink rewrites every route of an invitation link to addr, so the
// accepting node reaches the sharer (or its relay) through a delay proxy.
func rerouteLink(text, addr string) (string, error) {
	l, err := invite.Parse(text)
	if err != nil {
		return "", err
	}
	routes := make([]state.Route, len(l.Routes))
	for i, r := range l.Routes {
		if r.Relay != "" {
			r.Relay = addr
		} else {
			r.Direct = addr
		}
		routes[i] = r
	}
	l.Routes = routes
	return l.Text()
}

// runtime fetches the Go runtime figures of n's engine.
func (n *node) runtime() (*localapi.RuntimeStats, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.api.Runtime(ctx)
}

// waitSnapshot polls n's engine until cond holds, for up to 15 s.
func waitSnapshot(n *node, cond func(*engine.Snapshot) bool) error {
	deadline := time.Now().Add(15 * time.Second)
	lastErr := errors.New("condition not reached")
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s, err := n.api.Snapshot(ctx)
		cancel()
		if err == nil && cond(s) {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("after 15s: %w", lastErr)
}

func relayUp(s *engine.Snapshot) bool {
	return len(s.Relays) == 1 && s.Relays[0].State == engine.StateUp
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
