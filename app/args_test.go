package app

import "testing"

func TestIsCLI(t *testing.T) {
	cases := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"-psn_0_1234567"}, false},
		{[]string{"-NSDocumentRevisionsDebugMode", "YES"}, false},
		{[]string{"ls"}, true},
		{[]string{"-h"}, true},
		{[]string{"-psn_0_1", "share", "db", "localhost:5432"}, true},
	}
	for _, tc := range cases {
		if got := IsCLI(tc.args); got != tc.want {
			t.Errorf("IsCLI(%q) = %t, want %t", tc.args, got, tc.want)
		}
	}
}

func TestLogPath(t *testing.T) {
	if got, want := LogPath("/Users/alice"), "/Users/alice/Library/Logs/Portals/portals.log"; got != want {
		t.Errorf("LogPath = %q, want %q", got, want)
	}
}
