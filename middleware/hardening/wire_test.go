package hardening

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// TestWireHeaders sends raw HTTP/1.1 requests over loopback, with header
// forms that clients such as curl or a hand-written client can produce but
// net/http's client never does, so that what the gate sees is what
// net/http's server made of the bytes: field names in any case merge into
// one canonical field (two Authorization lines are two fields), optional
// whitespace around a value is removed, obs-text bytes are kept, an
// obs-fold becomes a space, and CTLs are refused by net/http before the
// gate runs.
func TestWireHeaders(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	f := newFixture(t, vs)
	srv := httptest.NewServer(f.router)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	type tc struct {
		name   string
		path   string
		lines  []string // header lines, without CRLF
		status int
		reason verifiers.Reason // logged; "" when the gate must not log
		body   string           // in the body, when set
	}
	cases := []tc{
		{"OWS_around_value", "/bearer", []string{"Authorization: \t  Bearer " + vs.tokAll + " \t "}, 200, "", "Bearer user-42"},
		{"A6_lowercase_field_and_scheme", "/all", []string{"authorization: bearer " + vs.tokAll}, 200, "", "Bearer user-42"},
		{"C3_two_lines_different_case", "/all", []string{"authorization: Bearer " + vs.tokAll, "AUTHORIZATION: Bearer " + vs.tokAll}, 400, verifiers.RequestMalformed, ""},
		{"two_x_api_key_lines", "/apikey", []string{"X-API-Key: " + vs.keyGood, "x-api-key: " + vs.keyGood}, 400, verifiers.RequestMalformed, ""},
		{"obs_text_in_token", "/bearer", []string{"Authorization: Bearer " + vs.tokAll[:20] + "\xe9" + vs.tokAll[20:]}, 401, verifiers.TokenMalformed, ""},
		{"obs_text_in_basic", "/basic", []string{"Authorization: Basic \xe9" + b64(basicUser+":"+basicPassword)}, 401, verifiers.CredentialsMalformed, ""},
		{"H1_100KiB_over_the_wire", "/all", []string{"Authorization: Bearer " + strings.Repeat("A", 100<<10)}, 431, verifiers.CredentialsTooLarge, "The Authorization header field is too large."},
		{"NUL_refused_by_net_http", "/bearer", []string{"Authorization: Bearer " + vs.tokAll[:20] + "\x00" + vs.tokAll[20:]}, 400, "", ""},
		// RFC 9112 §5.2 lets a server replace obs-fold by SP; net/http
		// does, so the folded value is "Bearer <token>".
		{"obs_fold_joined_by_net_http", "/bearer", []string{"Authorization: Bearer", " " + vs.tokAll}, 200, "", "Bearer user-42"},
		{"space_before_colon_refused_by_net_http", "/bearer", []string{"Authorization : Bearer " + vs.tokAll}, 400, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: the fixture's log is shared by the cases.
			f.log.Reset()
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			var req strings.Builder
			fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: gate.test\r\nConnection: close\r\n", c.path)
			for _, l := range c.lines {
				req.WriteString(l + "\r\n")
			}
			req.WriteString("\r\n")
			if _, err := io.WriteString(conn, req.String()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			res := &result{code: resp.StatusCode, header: resp.Header, body: string(body), logs: f.log.String(), events: f.log.Refusals(t)}
			if res.code != c.status {
				t.Errorf("status %d, want %d (body %q)", res.code, c.status, res.body)
			}
			if c.body != "" && !strings.Contains(res.body, c.body) {
				t.Errorf("body %q lacks %q", res.body, c.body)
			}
			switch {
			case c.reason == "" && len(res.events) != 0:
				t.Errorf("the gate logged a refusal: %s", res.logs)
			case c.reason != "" && (len(res.events) != 1 || res.events[0]["reason"] != string(c.reason)):
				t.Errorf("logged %v, want one event with reason %s", res.events, c.reason)
			}
			if c.status == 401 && len(res.header.Values("Www-Authenticate")) == 0 {
				t.Error("A1: 401 without WWW-Authenticate")
			}
			f.assertClean(t, res)
		})
	}
}
