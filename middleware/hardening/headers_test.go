package hardening

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/basic"
)

// Route groups.
var (
	bearerRoutes = []string{"/bearer", "/all", "/optional", "/scoped"}
	basicRoutes  = []string{"/basic", "/all", "/optional"}
	apikeyRoutes = []string{"/apikey", "/all", "/optional"}
)

// rejected is the expectation for a 401 with reason from the verifier of
// scheme on path: every challenge of the route, the Bearer one with
// error="invalid_token" when Bearer rejected.
func rejected(path, scheme string, reason verifiers.Reason) expect {
	lines := append([]string(nil), challengesOf(path)...)
	if scheme == "Bearer" {
		lines[0] = chBearerInvalid(reason)
	}
	return expect{status: 401, challenges: lines, reason: reason}
}

// badRequest is the expectation for a 400 request_malformed on path: the
// Bearer invalid_request line where the route accepts Bearer, else none.
func badRequest(path string) expect {
	e := expect{status: 400, reason: verifiers.RequestMalformed}
	if path != "/basic" && path != "/apikey" {
		e.challenges = []string{chBearerBadRequest}
	}
	return e
}

// accepted is a 200 whose body names the scheme and subject.
func accepted(body string) expect { return expect{status: 200, body: body} }

// abuseCase is one request sent to one route.
type abuseCase struct {
	name string
	path string
	hdr  []string
	want expect
	// hint, when set, must be contained in the logged hint.
	hint string
	// canary is a case-specific secret that must not leak.
	canary []string
}

// onRoutes makes one case per path.
func onRoutes(name string, paths []string, hdr []string, want func(path string) expect, canary ...string) []abuseCase {
	var out []abuseCase
	for _, p := range paths {
		out = append(out, abuseCase{name: name + strings.ReplaceAll(p, "/", "@"), path: p, hdr: hdr, want: want(p), canary: canary})
	}
	return out
}

func runAbuse(t *testing.T, vs *verifierSet, cases []abuseCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vs)
			res := f.serve(t, request(c.path, c.hdr...))
			c.want.check(t, res)
			if c.hint != "" && len(res.events) == 1 {
				if h, _ := res.events[0]["hint"].(string); !strings.Contains(h, c.hint) {
					t.Errorf("logged hint %q does not contain %q", h, c.hint)
				}
			}
			f.assertClean(t, res, c.canary...)

			// The same request with development mode on: the hint goes
			// into the body, and must not carry a credential either.
			dev := newFixture(t, vs, middleware.WithDevelopmentMode())
			dres := dev.serve(t, request(c.path, c.hdr...))
			if dres.code != res.code {
				t.Errorf("development mode changed the status: %d, was %d", dres.code, res.code)
			}
			dev.assertClean(t, dres, c.canary...)
		})
	}
}

// TestHeaderAbuseSize covers H1/H2: oversized credential headers get 431
// with the header named in the body and no challenge, before any verifier
// parses them, on every route.
func TestHeaderAbuseSize(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("CANARY-big-credential-", 100<<10/22+1)[:100<<10]
	var cases []abuseCase
	tooLarge := func(header string) func(string) expect {
		return func(string) expect {
			return expect{status: 431, reason: verifiers.CredentialsTooLarge, body: "The " + header + " header field is too large."}
		}
	}
	for _, scheme := range []string{"Bearer", "Basic", "APIKey", "Unknown"} {
		cases = append(cases, onRoutes("H1_100KiB_authorization_"+scheme, routes, []string{"Authorization", scheme + " " + big}, tooLarge("Authorization"), big)...)
	}
	cases = append(cases, onRoutes("H1_100KiB_x_api_key", []string{"/apikey", "/all", "/optional", "/scoped"}, []string{"X-API-Key", big}, tooLarge("X-API-Key"), big)...)
	// Routes that do not read X-API-Key ignore it.
	cases = append(cases, onRoutes("H1_100KiB_x_api_key_not_read", []string{"/basic", "/bearer"}, []string{"X-API-Key", big}, func(p string) expect {
		return expect{status: 401, challenges: challengesOf(p), reason: verifiers.CredentialsMissing}
	}, big)...)
	// Over the verifiers' own caps but under the gate's: the verifier's
	// 431 names the header too.
	vs := newVerifierSet(t)
	cases = append(cases,
		abuseCase{name: "H1_bearer_token_over_8KiB", path: "/bearer", hdr: []string{"Authorization", "Bearer " + vs.tokAll + strings.Repeat("A", 9<<10)},
			want: expect{status: 431, reason: verifiers.CredentialsTooLarge, body: "The Authorization header field is too large."}},
		abuseCase{name: "H1_basic_over_1KiB", path: "/basic", hdr: []string{"Authorization", "Basic " + b64(basicUser+":"+strings.Repeat(basicPassword, 40))},
			want: expect{status: 431, reason: verifiers.CredentialsTooLarge, body: "The Authorization header field is too large."}},
		abuseCase{name: "H1_apikey_over_512B_in_authorization", path: "/apikey", hdr: []string{"Authorization", "APIKey " + strings.Repeat(vs.keyGood, 12)},
			want: expect{status: 431, reason: verifiers.CredentialsTooLarge, body: "The Authorization header field is too large."}},
	)
	runAbuse(t, vs, cases)
}

// TestHeaderAbuseRepeated covers C3: more than one Authorization field
// (2 and 50) is 400 request_malformed with Bearer error="invalid_request"
// where Bearer is accepted, even when every field holds valid credentials.
func TestHeaderAbuseRepeated(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	var cases []abuseCase
	two := []string{"Authorization", "Bearer " + vs.tokAll, "Authorization", basicAuth(basicUser, basicPassword)}
	cases = append(cases, onRoutes("C3_two_authorization_fields", routes, two, badRequest)...)
	twoSame := []string{"Authorization", "Bearer " + vs.tokAll, "Authorization", "Bearer " + vs.tokAll}
	cases = append(cases, onRoutes("C3_same_token_twice", bearerRoutes, twoSame, badRequest)...)
	var fifty []string
	for range 50 {
		fifty = append(fifty, "Authorization", "Bearer x")
	}
	cases = append(cases, onRoutes("C3_fifty_authorization_fields", routes, fifty, badRequest)...)
	// Fifty valid tokens are over the size cap: 431 comes first.
	var fiftyValid []string
	for range 50 {
		fiftyValid = append(fiftyValid, "Authorization", "Bearer "+vs.tokAll)
	}
	cases = append(cases, abuseCase{name: "H1_fifty_valid_tokens_over_cap", path: "/bearer", hdr: fiftyValid,
		want: expect{status: 431, reason: verifiers.CredentialsTooLarge, body: "The Authorization header field is too large."}})
	twoKeys := []string{"X-API-Key", vs.keyGood, "X-API-Key", vs.keyGood}
	cases = append(cases, onRoutes("two_x_api_key_fields", apikeyRoutes, twoKeys, badRequest)...)
	runAbuse(t, vs, cases)
}

// TestHeaderAbuseControlBytes covers A5/B4 and bad input in general:
// CR, LF, NUL, DEL and non-ASCII bytes in credential headers (set directly
// in r.Header, as net/http clients refuse them) give 400 or 401 with the
// precise reason, never 500, and are never echoed.
func TestHeaderAbuseControlBytes(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	tok := vs.tokAll
	good := b64(basicUser + ":" + basicPassword)
	var cases []abuseCase
	add := func(name string, paths []string, hdr []string, want func(string) expect) {
		cases = append(cases, onRoutes(name, paths, hdr, want)...)
	}
	bearerMalformed := func(p string) expect { return rejected(p, "Bearer", verifiers.TokenMalformed) }
	basicMalformed := func(p string) expect { return rejected(p, "Basic", verifiers.CredentialsMalformed) }
	apikeyMalformed := func(p string) expect { return rejected(p, "APIKey", verifiers.CredentialsMalformed) }
	notAccepted := func(p string) expect {
		return expect{status: 401, challenges: challengesOf(p), reason: verifiers.SchemeNotAccepted}
	}

	add("bearer_CRLF_inside_token", bearerRoutes, []string{"Authorization", "Bearer " + tok[:20] + "\r\n" + tok[20:]}, bearerMalformed)
	add("bearer_CRLF_header_injection", bearerRoutes, []string{"Authorization", "Bearer " + tok + "\r\nX-Injected: 1"}, bearerMalformed)
	add("bearer_NUL_inside_token", bearerRoutes, []string{"Authorization", "Bearer " + tok[:30] + "\x00" + tok[30:]}, bearerMalformed)
	add("bearer_DEL_after_token", bearerRoutes, []string{"Authorization", "Bearer " + tok + "\x7f"}, bearerMalformed)
	add("bearer_non_ASCII_in_token", bearerRoutes, []string{"Authorization", "Bearer " + tok[:30] + "é" + tok[30:]}, bearerMalformed)
	add("bearer_invalid_UTF8_in_token", bearerRoutes, []string{"Authorization", "Bearer " + tok + "\xff\xfe"}, bearerMalformed)
	// A NUL instead of the space: the first word is no known scheme, so
	// it is not logged (it may be the credential).
	add("NUL_instead_of_space", []string{"/bearer", "/all", "/scoped", "/basic", "/apikey"}, []string{"Authorization", "Bearer\x00" + tok}, notAccepted)
	add("CR_instead_of_space", []string{"/bearer", "/all"}, []string{"Authorization", "Bearer\r" + tok}, notAccepted)
	add("non_ASCII_scheme", []string{"/bearer", "/all"}, []string{"Authorization", "Bëarer " + tok}, notAccepted)

	add("basic_CRLF_inside_base64", basicRoutes, []string{"Authorization", "Basic " + good[:8] + "\r\n" + good[8:]}, basicMalformed)
	add("basic_NUL_inside_base64", basicRoutes, []string{"Authorization", "Basic " + good[:8] + "\x00" + good[8:]}, basicMalformed)
	add("basic_non_ASCII_inside_base64", basicRoutes, []string{"Authorization", "Basic " + good[:8] + "\xc3\xa9" + good[8:]}, basicMalformed)
	add("B4_NUL_in_decoded_user", basicRoutes, []string{"Authorization", basicAuth("ali\x00ce", basicPassword)}, basicMalformed)
	add("B4_CRLF_in_decoded_password", basicRoutes, []string{"Authorization", basicAuth(basicUser, basicPassword+"\r\n")}, basicMalformed)
	add("B4_DEL_in_decoded_password", basicRoutes, []string{"Authorization", basicAuth(basicUser, "\x7f"+basicPassword)}, basicMalformed)
	add("B4_C1_control_in_decoded_user", basicRoutes, []string{"Authorization", basicAuth("ali\u0085ce", basicPassword)}, basicMalformed)

	add("apikey_CRLF_after_key", apikeyRoutes, []string{"X-API-Key", vs.keyGood + "\r\n"}, apikeyMalformed)
	add("apikey_NUL_inside_key", apikeyRoutes, []string{"X-API-Key", vs.keyGood[:20] + "\x00" + vs.keyGood[20:]}, apikeyMalformed)
	add("apikey_non_ASCII_inside_key", apikeyRoutes, []string{"X-API-Key", vs.keyGood[:20] + "é" + vs.keyGood[21:]}, apikeyMalformed)
	add("apikey_CRLF_in_authorization", apikeyRoutes, []string{"Authorization", "APIKey " + vs.keyGood + "\r\nX: y"}, apikeyMalformed)

	// A forged request id must not reach the log or the body as sent.
	cases = append(cases, abuseCase{name: "request_id_with_CRLF_not_used", path: "/bearer",
		hdr:  []string{"X-Request-Id", "abc\r\n{\"level\":\"info\"}"},
		want: expect{status: 401, challenges: []string{chBearer}, reason: verifiers.CredentialsMissing}})
	runAbuse(t, vs, cases)

	t.Run("no_raw_control_bytes_in_log_or_headers", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		for _, v := range []string{"Bearer a\r\nb", "Basic\x00" + good, "Bearer " + tok + "\n{\"reason\":\"none\"}"} {
			res := f.serve(t, request("/all", "Authorization", v, "X-Request-Id", "x\ny"))
			if strings.Count(strings.TrimSpace(res.logs), "\n") != 0 {
				t.Errorf("one request produced a multi-line log (log injection?): %q", res.logs)
			}
			for k, hv := range res.header {
				for _, s := range hv {
					if strings.ContainsAny(s, "\r\n\x00") {
						t.Errorf("response header %s holds a control byte: %q", k, s)
					}
				}
			}
			if strings.Contains(res.body, "request_id") {
				t.Errorf("a malformed X-Request-Id reached the body: %s", res.body)
			}
		}
	})
}

// TestHeaderAbuseBasicText covers B3, B5 and the empty parts of RFC 7617
// credentials.
func TestHeaderAbuseBasicText(t *testing.T) {
	t.Parallel()
	var cases []abuseCase
	add := func(name string, hdr []string, want func(string) expect, hint string) {
		for _, c := range onRoutes(name, basicRoutes, hdr, want) {
			c.hint = hint
			cases = append(cases, c)
		}
	}
	malformed := func(p string) expect { return rejected(p, "Basic", verifiers.CredentialsMalformed) }
	unknown := func(p string) expect { return rejected(p, "Basic", verifiers.UserUnknown) }
	mismatch := func(p string) expect { return rejected(p, "Basic", verifiers.PasswordMismatch) }
	utf8Hint := "UTF-8"

	add("B5_invalid_UTF8_user", []string{"Authorization", basicAuth("\xff\xfealice", basicPassword)}, malformed, utf8Hint)
	add("B5_invalid_UTF8_password", []string{"Authorization", basicAuth(basicUser, "\xc3\x28"+basicPassword)}, malformed, utf8Hint)
	add("B5_latin1_password", []string{"Authorization", basicAuth(basicUser, "caf\xe9-"+basicPassword)}, malformed, utf8Hint)
	add("B5_valid_UTF8_unknown_user", []string{"Authorization", basicAuth("ålice", basicPassword)}, unknown, "")
	add("empty_user", []string{"Authorization", basicAuth("", basicPassword)}, unknown, "empty")
	add("empty_password", []string{"Authorization", basicAuth(basicUser, "")}, mismatch, "")
	add("colon_only", []string{"Authorization", "Basic " + b64(":")}, unknown, "empty")
	add("B3_no_colon", []string{"Authorization", "Basic " + b64(bobUser+bobPassword)}, malformed, "user:password")
	add("B3_unencoded_user_password", []string{"Authorization", "Basic " + basicUser + ":" + basicPassword}, malformed, "without base64")
	add("B3_base64url_instead_of_base64", []string{"Authorization", "Basic " + strings.NewReplacer("+", "-", "/", "_").Replace(b64("alice:>>>??>"+basicPassword))}, malformed, "base64url")
	add("B3_missing_padding", []string{"Authorization", "Basic " + strings.TrimRight(b64(basicUser+":"+basicPassword+"x"), "=")}, malformed, "padd")
	// The user-id ends at the first colon: "alice:pw" with alice's
	// password after "alice:" of a user "alice:alice" is user "alice"
	// with a wrong password.
	add("B3_user_with_colon_splits_at_first", []string{"Authorization", basicAuth(basicUser+":"+basicUser, basicPassword)}, mismatch, "")
	add("B3_colons_in_password_accepted", []string{"Authorization", basicAuth(basicUser, basicPassword)}, func(string) expect { return accepted("Basic alice") }, "")
	// A password cut at its first colon (as a split at the last colon of
	// "alice:pw" with a password "pw:with" would see it) is wrong.
	add("B3_password_before_its_colon_is_wrong", []string{"Authorization", basicAuth(basicUser, basicPassword[:strings.IndexByte(basicPassword, ':')])}, mismatch, "")
	runAbuse(t, newVerifierSet(t), cases)

	t.Run("B3_user_with_colon_impossible_by_construction", func(t *testing.T) {
		t.Parallel()
		h := authgatetest.PasswordHash(t, "x")
		if _, err := basic.NewMemoryStore(map[string]string{"a:b": h}); err == nil {
			t.Error("NewMemory accepted a user name with a colon")
		}
		m, err := basic.NewMemoryStore(map[string]string{"a": h})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Put("a:b", h); err == nil {
			t.Error("MemoryStore.Put accepted a user name with a colon")
		}
	})
}

// TestHeaderAbuseWhitespaceAndCase covers A6 (scheme names are
// case-insensitive, RFC 9110 §11.1) and the whitespace policy: RFC 9110
// §11.4 allows 1*SP between scheme and credentials; field values lose
// their leading and trailing whitespace in transit (RFC 9110 §5.5), so the
// gate trims them too; tabs are tolerated (see the report); whitespace
// inside the credentials is refused.
func TestHeaderAbuseWhitespaceAndCase(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	bb := b64(basicUser + ":" + basicPassword)
	var cases []abuseCase
	ok := func(body string) func(string) expect { return func(string) expect { return accepted(body) } }
	forms := func(scheme, cred string, paths []string, body string) {
		for name, v := range map[string]string{
			"double_space":   scheme + "  " + cred,
			"tab":            scheme + "\t" + cred,
			"trailing_space": scheme + " " + cred + " ",
			"leading_space":  " " + scheme + " " + cred,
			"trailing_tab":   scheme + " " + cred + "\t",
		} {
			cases = append(cases, onRoutes("B6_"+scheme+"_"+name, paths, []string{"Authorization", v}, ok(body))...)
		}
		for _, s := range []string{strings.ToLower(scheme), strings.ToUpper(scheme), mixedCase(scheme)} {
			cases = append(cases, onRoutes("A6_scheme_"+s, paths, []string{"Authorization", s + " " + cred}, ok(body))...)
		}
	}
	forms("Bearer", vs.tokAll, bearerRoutes, "Bearer user-42")
	forms("Basic", bb, basicRoutes, "Basic alice")
	forms("APIKey", vs.keyGood, apikeyRoutes, "APIKey svc-reports")

	// Whitespace inside the credentials is not whitespace around them.
	cases = append(cases, onRoutes("space_inside_basic", basicRoutes, []string{"Authorization", "Basic " + bb[:8] + " " + bb[8:]},
		func(p string) expect { return rejected(p, "Basic", verifiers.CredentialsMalformed) })...)
	cases = append(cases, onRoutes("space_inside_bearer", bearerRoutes, []string{"Authorization", "Bearer " + vs.tokAll[:8] + " " + vs.tokAll[8:]},
		func(p string) expect { return rejected(p, "Bearer", verifiers.TokenMalformed) })...)
	cases = append(cases, onRoutes("space_inside_apikey", apikeyRoutes, []string{"X-API-Key", vs.keyGood[:8] + " " + vs.keyGood[8:]},
		func(p string) expect { return rejected(p, "APIKey", verifiers.CredentialsMalformed) })...)
	// A scheme glued to its credentials is another scheme.
	cases = append(cases, onRoutes("no_space_after_scheme", []string{"/bearer", "/all"}, []string{"Authorization", "Bearer" + vs.tokAll},
		func(p string) expect {
			return expect{status: 401, challenges: challengesOf(p), reason: verifiers.SchemeNotAccepted}
		})...)
	// Scheme only, or only whitespace.
	cases = append(cases, onRoutes("bearer_without_token", bearerRoutes, []string{"Authorization", "Bearer"}, badRequest)...)
	cases = append(cases, onRoutes("bearer_then_spaces", bearerRoutes, []string{"Authorization", "Bearer   "}, badRequest)...)
	cases = append(cases, onRoutes("basic_without_credentials", basicRoutes, []string{"Authorization", "Basic"}, badRequest)...)
	cases = append(cases, onRoutes("apikey_scheme_without_key", apikeyRoutes, []string{"Authorization", "APIKey"}, badRequest)...)
	cases = append(cases, onRoutes("authorization_only_spaces", routes, []string{"Authorization", " \t "}, badRequest)...)
	cases = append(cases, onRoutes("authorization_empty", routes, []string{"Authorization", ""}, badRequest)...)
	runAbuse(t, vs, cases)
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = byte(strings.ToLower(string(b[i]))[0])
		} else {
			b[i] = byte(strings.ToUpper(string(b[i]))[0])
		}
	}
	return string(b)
}

// TestHeaderAbuseExtraParams covers C7/A2: Bearer and Basic credentials
// are a single token68 (RFC 6750 §2.1, RFC 7617 §2); anything after it
// (auth-params, a second word) makes them malformed, never accepted.
func TestHeaderAbuseExtraParams(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	bb := b64(basicUser + ":" + basicPassword)
	var cases []abuseCase
	bearerMalformed := func(p string) expect { return rejected(p, "Bearer", verifiers.TokenMalformed) }
	basicMalformed := func(p string) expect { return rejected(p, "Basic", verifiers.CredentialsMalformed) }
	apikeyMalformed := func(p string) expect { return rejected(p, "APIKey", verifiers.CredentialsMalformed) }
	cases = append(cases, onRoutes("C7_bearer_then_auth_param", bearerRoutes, []string{"Authorization", "Bearer " + vs.tokAll + ", realm=x"}, bearerMalformed)...)
	cases = append(cases, onRoutes("C7_bearer_then_word", bearerRoutes, []string{"Authorization", "Bearer " + vs.tokAll + " extra"}, bearerMalformed)...)
	cases = append(cases, onRoutes("C7_bearer_as_auth_param", bearerRoutes, []string{"Authorization", "Bearer token=" + vs.tokAll}, bearerMalformed)...)
	cases = append(cases, onRoutes("B3_basic_then_auth_param", basicRoutes, []string{"Authorization", "Basic " + bb + ", realm=x"}, basicMalformed)...)
	cases = append(cases, onRoutes("B3_basic_then_word", basicRoutes, []string{"Authorization", "Basic " + bb + " extra"}, basicMalformed)...)
	cases = append(cases, onRoutes("apikey_then_word", apikeyRoutes, []string{"Authorization", "APIKey " + vs.keyGood + " extra"}, apikeyMalformed)...)
	// Credentials of one scheme under the other's name: refused, and the
	// credentials are not logged (the canary covers the password and the
	// token in every form).
	for _, c := range onRoutes("jwt_sent_as_basic", basicRoutes, []string{"Authorization", "Basic " + vs.tokAll}, basicMalformed) {
		c.hint = "Bearer"
		cases = append(cases, c)
	}
	cases = append(cases, onRoutes("basic_credentials_sent_as_bearer", bearerRoutes, []string{"Authorization", "Bearer " + bb}, bearerMalformed)...)
	for _, c := range onRoutes("bearer_scheme_twice", bearerRoutes, []string{"Authorization", "Bearer Bearer " + vs.tokAll}, bearerMalformed) {
		c.hint = "twice"
		cases = append(cases, c)
	}
	for _, c := range onRoutes("bearer_token_in_quotes", bearerRoutes, []string{"Authorization", `Bearer "` + vs.tokAll + `"`}, bearerMalformed) {
		c.hint = "quotes"
		cases = append(cases, c)
	}
	for _, c := range onRoutes("bare_jwt_without_scheme", []string{"/bearer", "/all"}, []string{"Authorization", vs.tokAll},
		func(p string) expect {
			return expect{status: 401, challenges: challengesOf(p), reason: verifiers.SchemeNotAccepted}
		}) {
		c.hint = "bare JWT"
		cases = append(cases, c)
	}
	runAbuse(t, vs, cases)
}

// TestHeaderAbuseTwoWays covers C3 and the "credentials sent two ways"
// rule. The rule is per verifier: the API key verifier reads X-API-Key
// and "Authorization: APIKey", and a key in both is 400
// request_malformed. Across schemes there is no such rule: the gate asks
// the route's verifiers in order and the first that finds its credentials
// decides, so a second credential of another scheme is never looked at.
func TestHeaderAbuseTwoWays(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	var cases []abuseCase
	both := []string{"X-API-Key", vs.keyGood, "Authorization", "APIKey " + vs.keyGood}
	cases = append(cases, onRoutes("C3_apikey_in_header_and_authorization", apikeyRoutes, both, badRequest)...)
	bothDifferent := []string{"X-API-Key", vs.keyGood, "Authorization", "APIKey " + vs.keyRevoked}
	cases = append(cases, onRoutes("C3_two_different_keys", apikeyRoutes, bothDifferent, badRequest)...)
	cases = append(cases,
		// Bearer is listed first on /all: it decides, the key is ignored.
		abuseCase{name: "cross_scheme_bearer_first_wins", path: "/all", hdr: []string{"Authorization", "Bearer " + vs.tokAll, "X-API-Key", vs.keyGood}, want: accepted("Bearer user-42")},
		abuseCase{name: "cross_scheme_revoked_key_ignored", path: "/all", hdr: []string{"Authorization", "Bearer " + vs.tokAll, "X-API-Key", vs.keyRevoked}, want: accepted("Bearer user-42")},
		abuseCase{name: "cross_scheme_expired_token_decides", path: "/all", hdr: []string{"Authorization", "Bearer " + vs.tokExpired, "X-API-Key", vs.keyGood}, want: rejected("/all", "Bearer", verifiers.TokenExpired)},
		abuseCase{name: "cross_scheme_basic_then_key", path: "/all", hdr: []string{"Authorization", basicAuth(basicUser, "wrong-password"), "X-API-Key", vs.keyGood}, want: rejected("/all", "Basic", verifiers.PasswordMismatch)},
		// On a route that reads only the key, another scheme's
		// Authorization beside a valid key is ignored.
		abuseCase{name: "apikey_route_ignores_bearer_beside_key", path: "/apikey", hdr: []string{"Authorization", "Bearer " + vs.tokAll, "X-API-Key", vs.keyGood}, want: accepted("APIKey svc-reports")},
	)
	runAbuse(t, vs, cases)
}

var _ = http.StatusOK
