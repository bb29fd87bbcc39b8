package state

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	full, err := Marshal(fullState())
	if err != nil {
		f.Fatal(err)
	}
	id := testID(1).String()
	seeds := []string{
		"",
		"{}",
		"null",
		`{"version": 0}`,
		`{"version": 1}`,
		`{"version": 2}`,
		`{"version": -1}`,
		`{"version": 1e0}`,
		string(full),
		`{"version": 1, "display_name": "` + strings.Repeat("n", MaxNameLen) + `"}`,
		`{"version": 1, "display_name": "` + strings.Repeat("n", MaxNameLen+1) + `"}`,
		`{"version": 1, "display_name": "\u0000"}`,
		`{"version": 1, "unknown": 1}`,
		`{"version": 1} trailing`,
		`{"version": 1, "listen": [":65535", "[::1]:1"]}`,
		`{"version": 1, "listen": [":65536"]}`,
		`{"version": 1, "relays": [{"addr": "r:1", "id": "` + strings.ToUpper(id) + `"}]}`,
		`{"version": 1, "peers": [{"id": "` + id + `", "routes": [{"relay": "r:1", "relay_id": "` + id + `"}]}]}`,
		`{"version": 1, "peers": [{"id": "` + id + `", "routes": []}]}`,
		`{"version": 1, "peers": [{"id": "` + id + `", "routes": [{"direct": "a:1", "relay": "r:1"}]}]}`,
	}
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if s != nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "state: ") {
				t.Fatalf("Parse error %v with state %v: want a nil state and an ErrInvalid error", err, s)
			}
			return
		}

		encoded, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal of a parsed state: %v", err)
		}
		again, err := Parse(encoded)
		if err != nil {
			t.Fatalf("Parse of an encoded state: %v\n%s", err, encoded)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("re-encoding changed the state:\nfirst  %+v\nsecond %+v", s, again)
		}
	})
}
