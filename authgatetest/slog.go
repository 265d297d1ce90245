package authgatetest

import (
	"log/slog"
	"strings"
)

// SlogLogger returns a *slog.Logger that writes to l, at debug level, the
// same JSON objects as Logger's: slog's message key renamed "message", its
// level in lower case, and no time. Give it to middleware.WithSlogLogger
// to run a test written against the zerolog sink on the slog sink too.
func (l *Log) SlogLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{}
			case slog.MessageKey:
				a.Key = "message"
			case slog.LevelKey:
				a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
			}
			return a
		},
	}))
}
