package app

import (
	"io"
	"path/filepath"
	"strings"
)

// CLI runs the portals command line and returns its exit code, like the
// run function of cmd/portals.
type CLI func(args []string, stdout, stderr io.Writer) int

// IsCLI reports whether the process was started as the portals command
// (the cask links the app's executable as `portals`) rather than as the
// app: any argument other than the ones macOS itself may add when it
// launches an app.
func IsCLI(args []string) bool {
	for i := 0; i < len(args); i++ {
		switch {
		case strings.HasPrefix(args[i], "-psn_"):
			// A process serial number, which older macOS versions pass
			// to an app launched from the Finder.
		case args[i] == "-NSDocumentRevisionsDebugMode":
			// Added by Xcode when it runs the app; it takes a value.
			i++
		default:
			return true
		}
	}
	return false
}

// LogPath is the app's log file under home: ~/Library/Logs/Portals,
// where Console finds it.
func LogPath(home string) string {
	return filepath.Join(home, "Library", "Logs", "Portals", "portals.log")
}
