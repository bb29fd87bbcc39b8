package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"

	"github.com/portalsapp/portals/engine"
)

// ErrNoEngine means no engine is running for the state directory.
var ErrNoEngine = errors.New("localapi: no engine is running")

// Client calls the local API of the engine that owns a state directory.
type Client struct {
	stateDir string
	http     *http.Client
}

// NewClient returns a client for the engine of stateDir. It does not
// connect until the first call.
func NewClient(stateDir string) *Client {
	path := SocketPath(stateDir)
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	return &Client{stateDir: stateDir, http: &http.Client{Transport: transport}}
}

// Snapshot returns the engine's current snapshot.
func (c *Client) Snapshot(ctx context.Context) (*engine.Snapshot, error) {
	var snap engine.Snapshot
	if err := c.call(ctx, http.MethodGet, "/v1/snapshot", nil, &snap); err != nil {
		return nil, err
	}
	return &snap, nil
}

// AddRelay asks the engine to register with the relay of link.
func (c *Client) AddRelay(ctx context.Context, link string) (*engine.Snapshot, error) {
	var snap engine.Snapshot
	if err := c.call(ctx, http.MethodPost, "/v1/relays", AddRelayRequest{Link: link}, &snap); err != nil {
		return nil, err
	}
	return &snap, nil
}

func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var reader *bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("localapi: internal error: encoding request: %w", err)
		}
		reader = bytes.NewReader(data)
	} else {
		reader = bytes.NewReader(nil)
	}

	req, err := http.NewRequestWithContext(ctx, method, "http://portals"+path, reader)
	if err != nil {
		return fmt.Errorf("localapi: internal error: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w for state directory %s; start one with `portals up`", ErrNoEngine, c.stateDir)
		}
		return fmt.Errorf("localapi: calling the engine at %s: %w", SocketPath(c.stateDir), err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.NewDecoder(resp.Body).Decode(&e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return errors.New(e.Error)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("localapi: decoding the engine's response to %s: %w", path, err)
	}
	return nil
}

// Share shares a service.
func (c *Client) Share(ctx context.Context, name, target string) (*engine.Snapshot, error) {
	var snap engine.Snapshot
	err := c.call(ctx, http.MethodPost, "/v1/services", ShareRequest{Name: name, Target: target}, &snap)
	return &snap, err
}

// Unshare stops sharing a service.
func (c *Client) Unshare(ctx context.Context, name string) (*engine.Snapshot, error) {
	var snap engine.Snapshot
	err := c.call(ctx, http.MethodDelete, "/v1/services/"+url.PathEscape(name), nil, &snap)
	return &snap, err
}

// Invite creates an invitation link to a service.
func (c *Client) Invite(ctx context.Context, name string, req InviteRequest) (*InviteResponse, error) {
	var resp InviteResponse
	err := c.call(ctx, http.MethodPost, "/v1/services/"+url.PathEscape(name)+"/invitations", req, &resp)
	return &resp, err
}

// CancelInvitations deletes every invitation to a service and reports how
// many were still open.
func (c *Client) CancelInvitations(ctx context.Context, name string) (*CancelInvitationsResponse, error) {
	var resp CancelInvitationsResponse
	err := c.call(ctx, http.MethodDelete, "/v1/services/"+url.PathEscape(name)+"/invitations", nil, &resp)
	return &resp, err
}

// Revoke removes someone from a service's access list.
func (c *Client) Revoke(ctx context.Context, name, who string) (*RevokeResponse, error) {
	var resp RevokeResponse
	err := c.call(ctx, http.MethodPost, "/v1/services/"+url.PathEscape(name)+"/revoke", RevokeRequest{Who: who}, &resp)
	return &resp, err
}

// Accept redeems an invitation link and creates its inlet.
func (c *Client) Accept(ctx context.Context, link string, port int) (*engine.AcceptResult, error) {
	var resp engine.AcceptResult
	err := c.call(ctx, http.MethodPost, "/v1/accept", AcceptRequest{Link: link, Port: port}, &resp)
	return &resp, err
}

// Remove deletes an accepted service.
func (c *Client) Remove(ctx context.Context, name string) (*engine.Snapshot, error) {
	var snap engine.Snapshot
	err := c.call(ctx, http.MethodDelete, "/v1/inlets/"+url.PathEscape(name), nil, &snap)
	return &snap, err
}

// Runtime returns the engine process's resource use.
func (c *Client) Runtime(ctx context.Context) (*RuntimeStats, error) {
	var stats RuntimeStats
	err := c.call(ctx, http.MethodGet, "/v1/debug/runtime", nil, &stats)
	return &stats, err
}
