package menu

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Title widths, in characters. A menu as wide as its longest title would
// cover the screen for a 64-character name, so titles are shortened in the
// middle and the item's tool tip keeps the full text.
const (
	maxNameWidth   = 24 // a service, inlet, person or node name
	maxTargetWidth = 32 // a host:port address
	maxErrorWidth  = 60 // one line of an error message
)

// shorten cuts s to width characters by replacing its middle with "…".
// It keeps both ends, because similar names and addresses differ at
// either end, as in "staging-db-eu" and "staging-db-us", or "host:5432".
func shorten(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n <= width {
		return s
	}
	runes := []rune(s)
	head := (width - 1) / 2
	tail := width - 1 - head
	return string(runes[:head]) + "…" + string(runes[n-tail:])
}

// clip cuts s to width characters at the end, for error text, whose
// start is the most informative part.
func clip(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	return string([]rune(s)[:width-1]) + "…"
}

// who names a person or node: the display name with the short identifier,
// or the short identifier alone.
func who(name, short string) string {
	if name == "" {
		return short
	}
	return shorten(name, maxNameWidth) + " (" + short + ")"
}

// countText is "1 thing" or "n things".
func countText(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// durationText is a duration in the largest whole unit that fits, for
// people: "45 s", "3 min", "2 h", "7 days".
func durationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// rttText is a round-trip time in whole milliseconds, or "<1 ms".
func rttText(d time.Duration) string {
	if d < time.Millisecond {
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

// bytesText is a byte count in SI units, as the CLI prints it.
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
