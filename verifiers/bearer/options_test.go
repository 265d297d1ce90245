package bearer

import (
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// TestOption_types: each option is an Option (New), an OpaqueOption
// (NewOpaque), or both (SharedOption), so that one passed to the wrong
// constructor does not compile, where it used to fail only at run time.
func TestOption_types(t *testing.T) {
	t.Parallel()
	jwtOnly := map[string]any{
		"WithAlgorithms": WithAlgorithms("ES256"), "WithLeeway": WithLeeway(0), "WithTypes": WithTypes("at+jwt"),
		"WithIDTokenClaimsAllowed": WithIDTokenClaimsAllowed("nonce"), "WithRequiredClaims": WithRequiredClaims("sub"),
		"WithAccessTokenProfile": WithAccessTokenProfile(), "WithScopeClaims": WithScopeClaims("scope"),
		"WithHTTPClient": WithHTTPClient(http.DefaultClient), "WithFetchTimeout": WithFetchTimeout(time.Second),
		"WithMaxResponseBytes": WithMaxResponseBytes(1), "WithRefreshInterval": WithRefreshInterval(time.Second, time.Second),
		"WithUnknownKeyRefresh": WithUnknownKeyRefresh(time.Second), "WithLogger": WithLogger(zerolog.Nop()),
		"WithPlainHTTP": WithPlainHTTP(), "WithTokenCache": WithTokenCache(0, 0),
	}
	opaqueOnly := map[string]any{"WithCache": WithCache(1, time.Second)}
	shared := map[string]any{
		"WithRealm": WithRealm("api"), "WithResourceMetadata": WithResourceMetadata("https://api.example.com/.well-known/oauth-protected-resource"),
		"WithMaxTokenBytes": WithMaxTokenBytes(1), "WithQueryTokens": WithQueryTokens(), "WithFormTokens": WithFormTokens(),
		"WithFingerprinter": WithFingerprinter(verifiers.NewFingerprinter()), "WithClock": WithClock(time.Now),
	}
	check := func(kind string, opts map[string]any, wantJWT, wantOpaque bool) {
		for name, o := range opts {
			_, isJWT := o.(Option)
			_, isOpaque := o.(OpaqueOption)
			if isJWT != wantJWT || isOpaque != wantOpaque {
				t.Errorf("%s (%s): Option %v, OpaqueOption %v; want %v, %v", name, kind, isJWT, isOpaque, wantJWT, wantOpaque)
			}
		}
	}
	check("JWT only", jwtOnly, true, false)
	check("opaque only", opaqueOnly, false, true)
	check("shared", shared, true, true)
}
