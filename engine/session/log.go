package session

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// yamuxLogger routes yamux's log lines to slog. yamux tags its lines
// "[ERR] yamux: ..." or "[WARN] yamux: ..."; the tag becomes the level and
// untagged lines are logged at Warn, so no yamux line is dropped.
//
// NOTE: lines are not rate-limited per peer. A peer that makes yamux log
// on every frame can flood the log.
type yamuxLogger struct {
	log *slog.Logger
}

// Print logs v as fmt.Sprint does.
func (l yamuxLogger) Print(v ...any) { l.write(fmt.Sprint(v...)) }

// Printf logs as fmt.Sprintf does.
func (l yamuxLogger) Printf(format string, v ...any) { l.write(fmt.Sprintf(format, v...)) }

// Println logs v as fmt.Sprintln does.
func (l yamuxLogger) Println(v ...any) { l.write(fmt.Sprintln(v...)) }

func (l yamuxLogger) write(line string) {
	line = strings.TrimSpace(line)
	level := slog.LevelWarn
	switch {
	case strings.HasPrefix(line, "[ERR]"):
		level = slog.LevelError
		line = strings.TrimSpace(strings.TrimPrefix(line, "[ERR]"))
	case strings.HasPrefix(line, "[WARN]"):
		line = strings.TrimSpace(strings.TrimPrefix(line, "[WARN]"))
	}
	if strings.HasPrefix(line, "yamux: Failed to read header") {
		// yamux reports every end of the connection this way, including
		// a peer that exits; the session logs its own end with the cause.
		level = slog.LevelDebug
	}
	l.log.Log(context.Background(), level, line, slog.String("component", "yamux"))
}
