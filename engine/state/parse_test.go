package state

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	want := fullState()
	data, err := Marshal(want)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}

	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the state:\ngot  %+v\nwant %+v", got, want)
	}

	again, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("encoding is not deterministic:\n%s\n%s", data, again)
	}
	if !strings.HasSuffix(string(data), "}\n") || !strings.Contains(string(data), "\n  \"display_name\"") {
		t.Errorf("encoding is not indented JSON with a final newline:\n%s", data)
	}
}

func TestParseMinimal(t *testing.T) {
	got, err := Parse([]byte(`{"version": 1, "listen": [], "peers": null}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Errorf("Parse = %+v, want %+v", got, Default())
	}
}

// stateEdit changes one field of fullState to make it invalid.
type stateEdit func(s *State)

func TestValidateErrors(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name  string
		edit  stateEdit
		parts []string // each must appear in the message
	}{
		{"version 0", func(s *State) { s.Version = 0 }, []string{"version", `"version": 1`}},
		{"name too long", func(s *State) { s.DisplayName = strings.Repeat("é", 33) }, []string{"display_name", "66 bytes", "more than 64"}},
		{"name invalid utf-8", func(s *State) { s.DisplayName = "a\xffb" }, []string{"display_name", "UTF-8"}},
		{"name control", func(s *State) { s.DisplayName = "a\tb" }, []string{"display_name", "control character"}},
		{"peer name control", func(s *State) { s.Peers[1].Name = "x\n" }, []string{"peers[1].name", "control"}},
		{"listen no port", func(s *State) { s.Listen[1] = "localhost" }, []string{"listen[1]", `"localhost"`, "host:port"}},
		{"listen port 0", func(s *State) { s.Listen[0] = ":0" }, []string{"listen[0]", "1 to 65535"}},
		{"listen port too big", func(s *State) { s.Listen[0] = "a:65536" }, []string{"listen[0]", "1 to 65535"}},
		{"listen port name", func(s *State) { s.Listen[0] = "a:https" }, []string{"listen[0]", "a:https", "1 to 65535"}},
		{"listen empty", func(s *State) { s.Listen[0] = "" }, []string{"listen[0]", "missing"}},
		{"listen duplicate", func(s *State) { s.Listen[1] = s.Listen[0] }, []string{"listen[1]", "same as listen[0]"}},
		{"relay host missing", func(s *State) { s.Relays[0].Addr = ":443" }, []string{"relays[0].addr", "host is missing"}},
		{"relay host space", func(s *State) { s.Relays[0].Addr = "a b:443" }, []string{"relays[0].addr", "space"}},
		{"relay long value", func(s *State) { s.Relays[1].Addr = long }, []string{"relays[1].addr", strings.Repeat("x", 80) + "...", "host:port"}},
		{"relay zero id", func(s *State) { s.Relays[1].ID = [32]byte{} }, []string{"relays[1].id", "missing"}},
		{"relay duplicate addr", func(s *State) { s.Relays[1].Addr = s.Relays[0].Addr }, []string{"relays[1].addr", "same as relays[0].addr"}},
		{"relay duplicate id", func(s *State) { s.Relays[1].ID = s.Relays[0].ID }, []string{"relays[1].id", "same as relays[0].id", testID(1).String()}},
		{"peer zero id", func(s *State) { s.Peers[0].ID = [32]byte{} }, []string{"peers[0].id", "missing"}},
		{"peer duplicate", func(s *State) { s.Peers[1].ID = s.Peers[0].ID }, []string{"peers[1].id", "same as peers[0].id"}},
		{"peer no routes", func(s *State) { s.Peers[1].Routes = nil }, []string{"peers[1].routes", "at least one route"}},
		{"route empty", func(s *State) { s.Peers[0].Routes[1] = Route{} }, []string{"peers[0].routes[1]", "empty"}},
		{"route both kinds", func(s *State) { s.Peers[0].Routes[1].Direct = "a:1" }, []string{"peers[0].routes[1]", "either direct or through a relay"}},
		{"route direct and relay id", func(s *State) { s.Peers[0].Routes[0].RelayID = testID(1) }, []string{"peers[0].routes[0]", "either direct"}},
		{"route relay without id", func(s *State) { s.Peers[0].Routes[1].RelayID = [32]byte{} }, []string{"peers[0].routes[1].relay_id", "missing"}},
		{"route id without relay", func(s *State) { s.Peers[0].Routes[1].Relay = "" }, []string{"peers[0].routes[1].relay", "relay is missing"}},
		{"route bad direct", func(s *State) { s.Peers[0].Routes[0].Direct = "db.internal" }, []string{"peers[0].routes[0].direct", `"db.internal"`}},
		{"route bad relay", func(s *State) { s.Peers[0].Routes[1].Relay = "r:99999" }, []string{"peers[0].routes[1].relay", `"r:99999"`}},
		{"route duplicate", func(s *State) { s.Peers[1].Routes = append(s.Peers[1].Routes, s.Peers[1].Routes[0]) }, []string{"peers[1].routes[1]", "same as peers[1].routes[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fullState()
			tt.edit(s)

			err := s.Validate()
			assertFieldError(t, err, tt.parts...)

			_, err = Marshal(s)
			assertFieldError(t, err, tt.parts...)
		})
	}
}

func TestValidateBoundaries(t *testing.T) {
	s := fullState()
	s.DisplayName = strings.Repeat("é", 32)
	s.Listen = []string{":1", "[::]:65535"}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate at the limits: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	id := testID(1).String()
	tests := []struct {
		name  string
		data  string
		parts []string
	}{
		{"empty", "", []string{"empty", `{"version": 1}`}},
		{"spaces", " \n ", []string{"empty"}},
		{"no version", `{}`, []string{"version", `"version": 1`}},
		{"version 0", `{"version": 0}`, []string{"version"}},
		{"newer version", `{"version": 2, "future": true}`, []string{"version", "reads version 1", "upgrade Portals"}},
		{"huge version", `{"version": 99999999999999999999}`, []string{"version"}},
		{"fractional version", `{"version": 1.5}`, []string{"version", "whole number"}},
		{"string version", `{"version": "1"}`, []string{"version", "write a whole number"}},
		{"not an object", `[1]`, []string{"top level", "write an object"}},
		{"unknown field", `{"version": 1, "colour": "red"}`, []string{"colour", "unknown field"}},
		{"wrong case", `{"Version": 1}`, []string{"Version", "unknown field"}},
		{"nested unknown", `{"version": 1, "peers": [{"id": "` + id + `", "routes": [{"direct": "a:1", "via": 2}]}]}`, []string{"peers[0].routes[0].via", "unknown field"}},
		{"repeated field", `{"version": 1, "version": 1}`, []string{"version", "appears twice"}},
		{"trailing garbage", `{"version": 1} x`, []string{"after the JSON object", "line 1"}},
		{"second object", `{"version": 1}{"version": 1}`, []string{"after the JSON object"}},
		{"syntax", "{\"version\": 1,\n \"listen\": [\"a:1\" \"b:2\"]}", []string{"invalid JSON", "line 2"}},
		{"truncated", `{"version": 1, "listen": [`, []string{"invalid JSON", "ends in the middle"}},
		{"bad id", `{"version": 1, "relays": [{"addr": "r:1", "id": "pid1xyz"}]}`, []string{"relays[0].id", `"pid1xyz"`, "characters", "copy the full identifier"}},
		{"null id", `{"version": 1, "relays": [{"addr": "r:1", "id": null}]}`, []string{"relays[0].id", "write a string"}},
		{"number as addr", `{"version": 1, "listen": [7443]}`, []string{"listen[0]", "7443", "write a string"}},
		{"object as list", `{"version": 1, "relays": {}}`, []string{"relays", "write a list"}},
		{"validation", `{"version": 1, "listen": ["nope"]}`, []string{"listen[0]", `"nope"`, "host:port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.data))
			if s != nil {
				t.Errorf("Parse returned a state with an error")
			}
			assertFieldError(t, err, tt.parts...)
		})
	}
}

// assertFieldError checks that err wraps ErrInvalid and a *FieldError, has
// the package prefix once, and contains each of parts.
func assertFieldError(t *testing.T, err error, parts ...string) {
	t.Helper()

	if err == nil {
		t.Fatal("got no error, want one")
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	var fieldErr *FieldError
	if !errors.As(err, &fieldErr) {
		t.Errorf("error %v does not wrap a *FieldError", err)
	}
	message := err.Error()
	if !strings.HasPrefix(message, "state: ") || strings.Contains(message, "state: state: ") {
		t.Errorf("error %q does not start with exactly one \"state: \"", message)
	}
	assertContains(t, message, parts...)
}
