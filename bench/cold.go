package main

import (
	"fmt"
	"time"
)

// coldPortals times `portals accept LINK`, run as a user would, until the
// target's hello byte arrives through the new inlet. Each sample uses a
// new accepting node that has never met the sharer, so the time includes
// the session setup (TCP, Noise XX, and the relay's dial-back on the relay
// path) and the redemption. Starting that node is not timed: it stands for
// the app or `portals up` already running.
func (w *world) coldPortals(label string, sharer *node, round int) (time.Duration, error) {
	link, err := sharer.invite()
	if err != nil {
		return 0, err
	}
	accepter, err := w.pe.up(fmt.Sprintf("cold-%s-%d", label, round))
	if err != nil {
		return 0, err
	}
	defer w.r.stopOne(accepter.cmd)

	start := time.Now()
	addr, err := w.pe.acceptCLI(accepter, link)
	if err != nil {
		return 0, err
	}
	c, err := dialPath(addr, dialTimeout)
	if err != nil {
		return 0, fmt.Errorf("first connection through the new inlet %s: %w", addr, err)
	}
	elapsed := time.Since(start)
	c.Close()
	return elapsed, nil
}

// coldSSH times starting `ssh -N -L` until the target's hello byte
// arrives through the new forward: process start, key exchange and
// authentication included, as a user who opens the tunnel when needed.
func (w *world) coldSSH(round int) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	start := time.Now()
	cmd, err := startSSHClient(w.r, fmt.Sprintf("cold-ssh-%d", round), w.sshd, fmt.Sprintf("127.0.0.1:%d", w.sshd.port), port, w.target.addr())
	if err != nil {
		return 0, err
	}
	defer w.r.stopOne(cmd)

	// Poll every 2 ms: ssh gives no sign when its forward is ready.
	deadline := start.Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := dialPath(addr, time.Second); err == nil {
			elapsed := time.Since(start)
			c.Close()
			return elapsed, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("ssh -L on %s passed no byte within 15s (see cold-ssh-%d.log)", addr, round)
}
