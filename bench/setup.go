package main

import (
	"fmt"
	"os/exec"
	"time"

	"github.com/portalsapp/portals/bench/delay"
)

// world holds everything a run starts: the target, the helper processes
// and the paths through them.
type world struct {
	r      *runner
	pe     *portalsEnv
	target *target
	sshd   *sshServer

	sharerDirect *node
	directAddr   string // the direct sharer's --listen address
	sharerRelay  *node
	relayCmd     *exec.Cmd
	relayAddr    string

	proxies []*delay.Proxy
}

func (w *world) close() {
	for _, p := range w.proxies {
		p.Close()
	}
	w.r.stopAll()
	if w.target != nil {
		w.target.close()
	}
}

// mainPaths sets up the paths of the main table, in table order.
func (w *world) mainPaths() ([]*path, error) {
	var err error
	if w.target, err = startTarget(); err != nil {
		return nil, err
	}
	paths := []*path{{name: "tcp", addr: w.target.addr(), pids: noPids}}

	socat, err := socatPath(w.r, "socat", w.target.addr())
	if err != nil {
		return nil, err
	}
	paths = append(paths, socat)

	socat2, err := socatTwoHopPath(w.r, "socat-2hop", w.target.addr())
	if err != nil {
		return nil, err
	}
	goFwd, err := goTwoHopPath(w.r, "go-2hop", w.target.addr())
	if err != nil {
		return nil, err
	}
	paths = append(paths, socat2, goFwd)

	if w.sshd, err = startSSHD(w.r); err != nil {
		return nil, err
	}
	ssh, _, err := sshPath(w.r, "ssh", w.sshd, fmt.Sprintf("127.0.0.1:%d", w.sshd.port), w.target.addr())
	if err != nil {
		return nil, err
	}
	paths = append(paths, ssh)

	direct, err := w.portalsDirect()
	if err != nil {
		return nil, err
	}
	relayed, err := w.portalsRelay()
	if err != nil {
		return nil, err
	}
	return append(paths, direct, relayed), nil
}

func (w *world) portalsDirect() (*path, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w.directAddr = fmt.Sprintf("127.0.0.1:%d", port)
	if w.sharerDirect, err = w.pe.up("sharer-direct", "--listen", w.directAddr); err != nil {
		return nil, err
	}
	if err := w.sharerDirect.share(w.target.addr()); err != nil {
		return nil, err
	}
	return w.acceptPath("portals-direct", w.sharerDirect, "")
}

func (w *world) portalsRelay() (*path, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w.relayAddr = fmt.Sprintf("127.0.0.1:%d", port)
	link, cmd, err := w.pe.relay("relay", w.relayAddr)
	if err != nil {
		return nil, err
	}
	w.relayCmd = cmd
	if w.sharerRelay, err = w.pe.up("sharer-relay", "--relay", link); err != nil {
		return nil, err
	}
	if err := waitSnapshot(w.sharerRelay, relayUp); err != nil {
		return nil, fmt.Errorf("the relay sharer did not register with the relay: %w", err)
	}
	if err := w.sharerRelay.share(w.target.addr()); err != nil {
		return nil, err
	}
	return w.acceptPath("portals-relay", w.sharerRelay, "", cmd.Process.Pid)
}

// acceptPath starts an accepting node named after the path, redeems an
// invitation from sharer (rerouted to via when via is set) and returns
// the path through the new inlet. relay is the relay's process, if any.
func (w *world) acceptPath(name string, sharer *node, via string, relay ...int) (*path, error) {
	link, err := sharer.invite()
	if err != nil {
		return nil, err
	}
	if via != "" {
		if link, err = rerouteLink(link, via); err != nil {
			return nil, fmt.Errorf("rerouting the invitation through the delay proxy: %w", err)
		}
	}
	accepter, err := w.pe.up("accepter-" + name)
	if err != nil {
		return nil, err
	}
	addr, err := accepter.accept(link)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := waitPath(addr, 15*time.Second); err != nil {
		return nil, fmt.Errorf("%s: the inlet %s does not reach the target: %w", name, addr, err)
	}
	all := append(relay, sharer.pid(), accepter.pid())
	return &path{name: name, addr: addr, pids: func() []int { return all }, nodes: []*node{sharer, accepter}}, nil
}

// delayPaths sets up the latency profile: each path with a delay proxy
// where the network would be.
func (w *world) delayPaths(p plan) ([]*path, error) {
	proxy := func(upstream string) (string, error) {
		px, err := delay.Listen(upstream, p.Delay, p.DelayWindow)
		if err != nil {
			return "", err
		}
		w.proxies = append(w.proxies, px)
		return px.Addr(), nil
	}

	tcpVia, err := proxy(w.target.addr())
	if err != nil {
		return nil, err
	}
	paths := []*path{{name: "tcp+delay", addr: tcpVia, pids: noPids}}

	sshVia, err := proxy(fmt.Sprintf("127.0.0.1:%d", w.sshd.port))
	if err != nil {
		return nil, err
	}
	ssh, _, err := sshPath(w.r, "ssh+delay", w.sshd, sshVia, w.target.addr())
	if err != nil {
		return nil, err
	}
	paths = append(paths, ssh)

	directVia, err := proxy(w.directAddr)
	if err != nil {
		return nil, err
	}
	direct, err := w.acceptPath("portals-direct+delay", w.sharerDirect, directVia)
	if err != nil {
		return nil, err
	}
	relayVia, err := proxy(w.relayAddr)
	if err != nil {
		return nil, err
	}
	relayed, err := w.acceptPath("portals-relay+delay", w.sharerRelay, relayVia, w.relayCmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	return append(paths, direct, relayed), nil
}
