package state

import (
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// Service is a local TCP service this node shares under a name.
type Service struct {
	Name        string       `json:"name"`
	Target      string       `json:"target"`                // host:port that the outlet dials
	Access      []Access     `json:"access,omitempty"`      // identities allowed to connect
	Invitations []Invitation `json:"invitations,omitempty"` // open invitations to this service
}

// Access is one identity on a service's access list.
type Access struct {
	ID    identity.ID `json:"id"`
	Name  string      `json:"name,omitempty"` // the display name it had when it redeemed, for people only
	Added time.Time   `json:"added"`
}

// Invitation is an open invitation. Only the hash of its secret is kept,
// so reading the state file does not let anyone redeem it.
type Invitation struct {
	Hash     string    `json:"hash"` // hex SHA-256 of the labelled secret
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	UsesLeft int       `json:"uses_left"`

	// RedeemedBy lists the identities that redeemed this invitation. Each
	// identity uses an invitation at most once, and one whose access was
	// revoked cannot use the same invitation again.
	RedeemedBy []identity.ID `json:"redeemed_by,omitempty"`
}

// Inlet is a service shared with this node by a peer, reachable on
// 127.0.0.1:Port here. The port is chosen once and kept across restarts.
type Inlet struct {
	Name    string      `json:"name"`    // local name, unique on this node
	Peer    identity.ID `json:"peer"`    // the sharing node, also listed in Peers
	Service string      `json:"service"` // the service name on the sharing node
	Port    int         `json:"port"`    // 1 to 65535
}
