package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/portalsapp/portals/engine/identity"
)

// FileName is the name of the state file inside the state directory.
const FileName = "state.json"

// Version is the only state file version this build reads and writes. A
// file with a higher version was written by a newer Portals and is rejected
// rather than rewritten without the fields this build does not know.
const Version = 1

// ErrInvalid is wrapped by every error about the content of a state file:
// malformed JSON, an unsupported version, or a field that fails validation.
var ErrInvalid = errors.New("state: invalid state")

// State is everything a node keeps in its state file. Secrets never go
// here: they live in the vault.
//
// To add a field, give it a JSON name with omitempty (or omitzero), check it
// in Validate, and add a seed to FuzzParse. Older files then still parse,
// and the strict parser keeps rejecting misspelt names.
type State struct {
	Version     int      `json:"version"`
	DisplayName string   `json:"display_name,omitempty"`
	Listen      []string `json:"listen,omitempty"` // host:port on which to accept direct sessions
	Relays      []Relay  `json:"relays,omitempty"` // relays this node registers with
	Peers       []Peer   `json:"peers,omitempty"`  // nodes this node dials

	Services []Service `json:"services,omitempty"` // services this node shares
	Inlets   []Inlet   `json:"inlets,omitempty"`   // services shared with this node
}

// Relay is a relay this node registers with. Its registration secret lives
// in the vault, never in the state file.
type Relay struct {
	Addr string      `json:"addr"` // host:port
	ID   identity.ID `json:"id"`
}

// Peer is a node this node dials, with every route known to reach it.
type Peer struct {
	ID     identity.ID `json:"id"`
	Name   string      `json:"name,omitempty"`
	Routes []Route     `json:"routes"` // at least one
}

// Route is one way to reach a peer: exactly one of Direct, or Relay
// together with RelayID.
type Route struct {
	Direct  string      `json:"direct,omitempty"`  // host:port of the peer itself
	Relay   string      `json:"relay,omitempty"`   // host:port of a relay the peer registers with
	RelayID identity.ID `json:"relay_id,omitzero"` // the identifier of that relay
}

// Default returns the state of a node that has never saved one.
func Default() *State {
	return &State{Version: Version}
}

// Marshal validates s and encodes it the way Save writes it: JSON indented
// by two spaces, fields in declaration order, and a final newline. Equal
// states give equal bytes.
func Marshal(s *State) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}

	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("state: internal error: encoding a valid state failed: %w", err)
	}
	return append(data, '\n'), nil
}

// FieldError reports one invalid value in a state file.
type FieldError struct {
	// Field is the path of the value, such as "peers[2].routes[0].direct",
	// or empty for the whole file.
	Field string

	// Value is the offending value as written, abbreviated to maxValueLen
	// bytes, or empty when the problem is the field itself.
	Value string

	// Problem describes what is wrong and how to fix it.
	Problem string
}

// maxValueLen bounds how much of a bad value an error message quotes, in
// bytes, so that pasting a whole file into a field gives a readable error.
const maxValueLen = 80

func (e *FieldError) Error() string {
	field := e.Field
	if field == "" {
		field = "top level"
	}
	if e.Value == "" {
		return field + ": " + e.Problem
	}
	return fmt.Sprintf("%s %q: %s", field, e.Value, e.Problem)
}

// fieldError builds a FieldError, abbreviating value.
func fieldError(field, value, problem string) *FieldError {
	return &FieldError{Field: field, Value: abbreviate(value), Problem: problem}
}

// abbreviate cuts s to maxValueLen bytes at a character boundary.
func abbreviate(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	cut := maxValueLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// joinPath appends a field name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// indexPath appends a slice index to a path.
func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
