package authgatetest_test

import (
	"reflect"
	"testing"

	"github.com/authgate/authgate/authgatetest"
)

// TestSlogLoggerShapesLikeLogger: an event through SlogLogger decodes to
// the same object as the event through Logger.
func TestSlogLoggerShapesLikeLogger(t *testing.T) {
	t.Parallel()
	var z, s authgatetest.Log
	zl := z.Logger()
	zl.Warn().Str("reason", "token_expired").Int("status", 401).Msg("authgate: request refused")
	s.SlogLogger().Warn("authgate: request refused", "reason", "token_expired", "status", 401)
	if got, want := s.Events(t), z.Events(t); !reflect.DeepEqual(got, want) {
		t.Errorf("slog %v, zerolog %v", got, want)
	}
}
