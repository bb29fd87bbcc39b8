package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portalsapp/portals/cmd/portals/cli"
	"github.com/portalsapp/portals/engine"
)

// engineArgs are valid arguments for each command that needs a running
// engine. A new command must be added here or to localCommands.
var engineArgs = map[string][]string{
	"share":   {"db", "127.0.0.1:5432"},
	"unshare": {"db"},
	"invite":  {"db"},
	"accept":  {"portals://invite/aaaa"},
	"ls":      nil,
	"revoke":  {"db", "someone"},
	"remove":  {"db"},
}

// localCommands run without an engine, or are the engine or relay.
var localCommands = []string{"up", "id", "relay", "demo", "version"}

// TestCommandHelpConventions walks the command list and checks the help conventions
// of every command.
func TestCommandHelpConventions(t *testing.T) {
	for _, c := range cli.Commands() {
		t.Run(c.Name, func(t *testing.T) {
			if !strings.HasPrefix(c.Usage, c.Name) {
				t.Errorf("usage %q does not start with the command name", c.Usage)
			}
			if r, _ := utf8.DecodeRuneInString(c.ShortHelp); !unicode.IsUpper(r) {
				t.Errorf("short help %q does not start with a capital letter", c.ShortHelp)
			}
			if strings.HasSuffix(c.ShortHelp, ".") {
				t.Errorf("short help %q ends with a period", c.ShortHelp)
			}
			if _, ok := engineArgs[c.Name]; !ok && !slices.Contains(localCommands, c.Name) {
				t.Errorf("command %s is in neither engineArgs nor localCommands of this test", c.Name)
			}

			stdout, stderr, code := runPortals(t, c.Name, "-h")
			if code != 0 {
				t.Errorf("-h: exit %d, want 0", code)
			}
			help := stdout + stderr
			if want := "Usage: portals " + c.Name; !strings.Contains(help, want) {
				t.Errorf("-h printed %q, want it to contain %q", help, want)
			}
			flags := flagHelp(help)
			if len(flags) == 0 && strings.Contains(help, "Flags:") {
				t.Errorf("-h printed a Flags: heading with no flags under it: %q", help)
			}
			for flag, text := range flags {
				if text == "" {
					t.Errorf("flag -%s has no help text", flag)
				}
			}
			if _, ok := engineArgs[c.Name]; ok {
				for _, want := range []string{"state-dir", "json"} {
					if _, ok := flags[want]; !ok {
						t.Errorf("-h lists flags %q, want -%s among them", slices.Sorted(maps.Keys(flags)), want)
					}
				}
			}

			_, stderr, code = runPortals(t, c.Name, "--no-such-flag")
			if code != 2 {
				t.Errorf("--no-such-flag: exit %d, want 2", code)
			}
			if !strings.Contains(stderr, "no-such-flag") {
				t.Errorf("--no-such-flag: stderr %q does not name the flag", stderr)
			}
		})
	}
}

// flagHelp returns the help text of each flag in the output of
// flag.PrintDefaults, which indents each flag line by two spaces and its
// help by four spaces and a tab (or puts it after a tab for short names).
func flagHelp(help string) map[string]string {
	flags := map[string]string{}
	var current string
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "  -"):
			name, rest, _ := strings.Cut(strings.TrimPrefix(line, "  -"), "\t")
			current, _, _ = strings.Cut(name, " ")
			flags[current] = strings.TrimSpace(rest)
		case current != "" && strings.HasPrefix(line, "    \t"):
			flags[current] = strings.TrimSpace(flags[current] + " " + strings.TrimSpace(line))
		default:
			current = ""
		}
	}
	return flags
}

func TestFlagHelpParser(t *testing.T) {
	got := flagHelp("Flags:\n  -json\n    \tprint JSON\n  -x\tshort\n  -empty string\n    \t\n  -port int\n    \tlocal port\n    \tsecond line\n")
	want := map[string]string{"json": "print JSON", "x": "short", "empty": "", "port": "local port second line"}
	if len(got) != len(want) {
		t.Fatalf("flagHelp = %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("flagHelp[%q] = %q, want %q", k, got[k], v)
		}
	}
}

// TestCommandsWithoutEngine runs every command that needs the engine
// against a state directory with none running.
func TestCommandsWithoutEngine(t *testing.T) {
	dir := t.TempDir()
	for name, args := range engineArgs {
		t.Run(name, func(t *testing.T) {
			all := append(append([]string{name}, args...), "--state-dir", dir)
			_, stderr, code, took := runPortalsWithin(t, 10*time.Second, all...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(stderr, "portals up") {
				t.Errorf("stderr %q does not say to run portals up", stderr)
			}
			if took > 2*time.Second {
				t.Errorf("took %v, want at once", took)
			}
		})
	}
}

// TestLsJSONAndColumns checks `portals ls` on a node that shares a service and
// has accepted one: --json parses, and the human tables are aligned.
func TestLsJSONAndColumns(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "web", serveTCP(t, echo))
	inlet := accept(t, n.accepterDir, link)
	echoOnce(t, inlet.Addr)

	// The accepter shares a service too, so that its ls has both tables.
	mustPortals(t, "share", "cache", serveTCP(t, echo), "--state-dir", n.accepterDir)

	out := mustPortals(t, "ls", "--json", "--state-dir", n.accepterDir)
	var s engine.Snapshot
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("ls --json is not a snapshot: %v\n%s", err, out)
	}
	if len(s.Inlets) != 1 || s.Inlets[0].Addr != inlet.Addr || len(s.Services) != 1 {
		t.Errorf("ls --json lists inlets %+v and services %+v, want the inlet at %s and the service cache", s.Inlets, s.Services, inlet.Addr)
	}

	human := mustPortals(t, "ls", "--state-dir", n.accepterDir)
	tables := 0
	for _, block := range strings.Split(human, "\n\n") {
		lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
		if len(lines) < 2 || (!strings.HasPrefix(lines[0], "SHARED") && !strings.HasPrefix(lines[0], "ACCEPTED")) {
			continue
		}
		tables++
		checkColumns(t, lines)
	}
	if tables != 2 {
		t.Errorf("ls printed %d tables, want SHARED and ACCEPTED:\n%s", tables, human)
	}
}

// checkColumns checks that every row of a table has a cell starting at
// each column start of the header. Columns are separated by at least two
// spaces, because a heading such as "OPEN INVITES" contains one.
func checkColumns(t *testing.T, lines []string) {
	t.Helper()
	header := []rune(lines[0])
	var starts []int
	for i := 2; i < len(header); i++ {
		if header[i] != ' ' && header[i-1] == ' ' && header[i-2] == ' ' {
			starts = append(starts, i)
		}
	}
	if len(starts) == 0 {
		t.Errorf("table header %q has one column", lines[0])
	}
	for _, line := range lines[1:] {
		row := []rune(line)
		for _, c := range starts {
			if c >= len(row) || row[c] == ' ' || row[c-1] != ' ' || row[c-2] != ' ' {
				t.Errorf("row %q has no cell at column %d, where the header %q has one", line, c, lines[0])
				break
			}
		}
	}
}
