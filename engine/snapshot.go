package engine

import (
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// Snapshot is an immutable view of everything a user interface shows about
// a running engine. The engine publishes a new Snapshot after every change;
// holders must not modify it.
type Snapshot struct {
	ID          identity.ID   `json:"id"`
	DisplayName string        `json:"display_name"`
	StateDir    string        `json:"state_dir"`
	VaultKind   string        `json:"vault"`
	Listen      []string      `json:"listen"`
	Relays      []RelayStatus `json:"relays"`
	Peers       []PeerStatus  `json:"peers"`

	Services []ServiceStatus `json:"services"` // shared by this node
	Inlets   []InletStatus   `json:"inlets"`   // shared with this node
}

// ServiceStatus is a service this node shares.
type ServiceStatus struct {
	Name        string         `json:"name"`
	Target      string         `json:"target"`
	Access      []AccessStatus `json:"access"`
	Connections int            `json:"connections"` // live portal connections
	Invitations int            `json:"invitations"` // open invitations with uses left
}

// AccessStatus is one identity allowed to use a service.
type AccessStatus struct {
	ID          identity.ID `json:"id"`
	Name        string      `json:"name,omitempty"`
	Added       time.Time   `json:"added"`
	Connections int         `json:"connections"`
}

// InletStatus is a service shared with this node.
type InletStatus struct {
	Name        string        `json:"name"`
	Service     string        `json:"service"`
	Peer        identity.ID   `json:"peer"`
	PeerName    string        `json:"peer_name,omitempty"`
	Addr        string        `json:"addr"` // 127.0.0.1:port
	State       string        `json:"state"`
	LastError   string        `json:"last_error,omitempty"`
	Route       string        `json:"route,omitempty"`
	RTT         time.Duration `json:"rtt_ns,omitempty"`
	Connections int           `json:"connections"`
	BytesIn     int64         `json:"bytes_in"`  // received from the sharer
	BytesOut    int64         `json:"bytes_out"` // sent to the sharer
}

// Connection states shown for relays and peers.
const (
	StateConnecting = "connecting" // a dial or registration is in progress
	StateUp         = "up"         // registered with the relay, or a session is open
	StateDown       = "down"       // the last attempt failed; a retry is scheduled
	StateIdle       = "idle"       // no session, and none is wanted right now
)

// RelayStatus is the registration of this node with one relay.
type RelayStatus struct {
	Addr      string      `json:"addr"`
	ID        identity.ID `json:"id"`
	State     string      `json:"state"`
	Since     time.Time   `json:"since"`
	LastError string      `json:"last_error,omitempty"`
}

// PeerStatus is this node's session with one peer node.
type PeerStatus struct {
	ID        identity.ID   `json:"id"`
	Name      string        `json:"name,omitempty"`
	State     string        `json:"state"`
	Since     time.Time     `json:"since"`
	Route     string        `json:"route,omitempty"` // e.g. "direct 192.0.2.1:7701" or "relay pid1:abcd-efgh"
	RTT       time.Duration `json:"rtt_ns,omitempty"`
	LastError string        `json:"last_error,omitempty"`
	Inbound   bool          `json:"inbound"` // the peer opened the session
}
