package engine_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/state"
)

// shareWithLink shares a service on sharer and returns a link for uses
// people.
func shareWithLink(t *testing.T, sharer *node, uses int) string {
	t.Helper()
	if err := sharer.Share("web", "127.0.0.1:9"); err != nil {
		t.Fatal(err)
	}
	link, err := sharer.Invite("web", uses, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return link
}

func openInvitations(n *node) int {
	s := n.Snapshot()
	if len(s.Services) != 1 {
		return -1
	}
	return s.Services[0].Invitations
}

// TestAcceptTwiceUsesOneRedemption accepts a link for three people twice
// from one node: the second accept returns the same inlet and uses
// nothing.
func TestAcceptTwiceUsesOneRedemption(t *testing.T) {
	sharer := startNode(t, "sharer", "", withListen)
	accepter := startNode(t, "accepter", "", nil)
	link := shareWithLink(t, sharer, 3)

	first, err := accepter.Accept(context.Background(), link, 0)
	if err != nil {
		t.Fatalf("first accept: %v", err)
	}
	second, err := accepter.Accept(context.Background(), link, 0)
	if err != nil {
		t.Fatalf("second accept: %v", err)
	}
	if second != first {
		t.Errorf("second accept made %+v, want the first inlet %+v again", second, first)
	}
	if got := len(accepter.Snapshot().Inlets); got != 1 {
		t.Errorf("accepter has %d inlets, want 1", got)
	}

	// Removing the inlet and accepting again presents the link to the
	// sharer a second time; that must not use a second redemption either.
	if err := accepter.Remove(first.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := accepter.Accept(context.Background(), link, 0); err != nil {
		t.Fatalf("accept after remove: %v", err)
	}
	if got := openInvitations(sharer); got != 1 {
		t.Errorf("sharer counts %d open invitations, want the 3-use link still open", got)
	}
	s := sharer.Snapshot()
	if got := len(s.Services[0].Access); got != 1 {
		t.Errorf("access list has %d entries, want 1", got)
	}
}

// TestRevokedCannotReuseLink revokes an accepter, which then presents the
// multi-use link it redeemed before: the sharer rejects it, while another
// node can still use the link.
func TestRevokedCannotReuseLink(t *testing.T) {
	sharer := startNode(t, "sharer", "", withListen)
	bob := startNode(t, "bob", "", nil)
	carol := startNode(t, "carol", "", nil)
	link := shareWithLink(t, sharer, 10)

	inlet, err := bob.Accept(context.Background(), link, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sharer.Revoke("web", bob.ID().String()); err != nil {
		t.Fatal(err)
	}
	if err := bob.Remove(inlet.Name); err != nil {
		t.Fatal(err)
	}

	_, err = bob.Accept(context.Background(), link, 0)
	if err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked node accepting its old link again: %v, want an error saying access was revoked", err)
	}
	if got := len(sharer.Snapshot().Services[0].Access); got != 0 {
		t.Errorf("access list has %d entries after the rejected accept, want 0", got)
	}
	if got := len(bob.Snapshot().Inlets); got != 0 {
		t.Errorf("revoked node has %d inlets, want none saved", got)
	}

	if _, err := carol.Accept(context.Background(), link, 0); err != nil {
		t.Errorf("another node accepting the same link: %v, want success", err)
	}
}

// TestCancelInvitationsKeepsAccess cancels the invitations of a service
// that one person has already joined: the open link stops working, and
// the person who joined keeps access.
func TestCancelInvitationsKeepsAccess(t *testing.T) {
	sharer := startNode(t, "sharer", "", withListen)
	accepter := startNode(t, "accepter", "", nil)
	latecomer := startNode(t, "latecomer", "", nil)

	used := shareWithLink(t, sharer, 1)
	if _, err := accepter.Accept(context.Background(), used, 0); err != nil {
		t.Fatalf("accept before the cancel: %v", err)
	}
	open, err := sharer.Invite("web", 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	n, err := sharer.CancelInvitations("web")
	if err != nil {
		t.Fatalf("CancelInvitations: %v", err)
	}
	if n != 1 {
		t.Errorf("CancelInvitations cancelled %d open invitations, want 1 (the other was used up)", n)
	}
	if got := openInvitations(sharer); got != 0 {
		t.Errorf("%d open invitations after the cancel, want 0", got)
	}
	if got := len(sharer.Snapshot().Services[0].Access); got != 1 {
		t.Errorf("access list has %d entries after the cancel, want the 1 who joined before", got)
	}

	_, err = latecomer.Accept(context.Background(), open, 0)
	if err == nil || !strings.Contains(err.Error(), "no invitation matches") {
		t.Errorf("accepting a cancelled link: %v, want a refusal naming no matching invitation", err)
	}
	if _, err := sharer.CancelInvitations("nope"); err == nil || !strings.Contains(err.Error(), `no shared service is named "nope"`) {
		t.Errorf("cancelling for an unknown service: %v, want an error naming it", err)
	}
}

// TestCancelledDialIsNoPeerFailure gives up on a first accept while its
// dial hangs, then accepts again at once: the first caller's cancelled
// dial says nothing about the peer, so the second accept must dial
// afresh and not fail with the first one's error.
func TestCancelledDialIsNoPeerFailure(t *testing.T) {
	sharer := startNode(t, "sharer", "", withListen)
	accepter := startNode(t, "accepter", "", nil)
	text := shareWithLink(t, sharer, 1)

	// The first connection to this route hangs without a byte; later ones
	// reach the sharer.
	route := stallFirstConn(t, sharer.listenAddr(t))
	link, err := invite.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	link.Routes = []state.Route{{Direct: route}}
	if text, err = link.Text(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := accepter.Accept(ctx, text, 0); err == nil {
		t.Fatal("the accept over the hanging connection succeeded, want it to give up")
	}

	if _, err := accepter.Accept(context.Background(), text, 0); err != nil {
		t.Fatalf("accept right after a cancelled one: %v", err)
	}
}

// stallFirstConn listens on loopback and returns its address. It holds the
// first connection open without a byte and forwards every later one to
// upstream.
func stallFirstConn(t *testing.T, upstream string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })

	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			if i == 0 {
				continue
			}
			go forwardConn(c, upstream)
		}
	}()
	return ln.Addr().String()
}

// forwardConn copies c both ways to a new connection to upstream.
func forwardConn(c net.Conn, upstream string) {
	defer c.Close()
	up, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(up, c)
	io.Copy(c, up)
}
