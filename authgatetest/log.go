package authgatetest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// RefusalMessage is the message of the gate's event for a refused request.
const RefusalMessage = "authgate: request refused"

// Log collects JSON log lines, such as the gate's: give Logger to
// middleware.WithLogger (or a verifier's logger option), serve requests,
// then read Refusals or Reasons. The zero value is ready to use, and safe
// for concurrent writes.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it implements io.Writer.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Logger returns a zerolog.Logger that writes to l.
func (l *Log) Logger() zerolog.Logger { return zerolog.New(l) }

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reset forgets everything written so far.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// Events returns every line written so far decoded as a JSON object, and
// fails t on a line that is not one. Blank lines are skipped.
func (l *Log) Events(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("authgatetest: log line is not a JSON object: %v: %q", err, line)
		}
		out = append(out, m)
	}
	return out
}

// Refusals returns the gate's events for refused requests (message
// RefusalMessage), in order.
func (l *Log) Refusals(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range l.Events(t) {
		if ev["message"] == RefusalMessage {
			out = append(out, ev)
		}
	}
	return out
}

// Reasons returns the reason of each of the gate's refusal events, in
// order, such as ["credentials_missing", "token_expired"].
func (l *Log) Reasons(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, ev := range l.Refusals(t) {
		r, _ := ev["reason"].(string)
		out = append(out, r)
	}
	return out
}
