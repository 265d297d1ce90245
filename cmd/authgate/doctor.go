package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/authgate/authgate/cmd/authgate/internal/doctor"
)

const doctorUsage = `Usage: authgate doctor [flags] URL
       authgate doctor --har FILE [flags] [BASE_URL]

Sends the request (after its CORS preflight when --origin is given or the
HAR has one), reads the status, every WWW-Authenticate challenge and a
problem+json body, checks the credential locally, and names the most likely
of the eight causes of a 401: no credentials, an invalid/expired/revoked
credential, the wrong scheme, a badly formatted credential, a credential of
another environment, clock skew, a proxy stripping the header, a failed CORS
preflight. It never prints a credential (token, password, key or their
base64); a fingerprint (sha256:...) identifies one.

The flags are curl's: -X, -H (repeatable), -u user:password, -d. Flags may
come before or after the URL. With --har, the request is taken from a HAR
file exported from the browser's Network tab (the last refused request, or
--har-entry N) and replayed; BASE_URL, when given, replaces its scheme and
host (to replay against another deployment). The HAR file is only read.

Output: a verdict (the cause and what to do), the checklist (✓ pass,
✗ fail, – not applicable, · information), the request id to quote to the
API's operator. --json prints one JSON object instead, whose shape
(version 1) is: version, outcome ("authorized", "refused", "failed"),
verdict {cause, number (1-8, the guide's cause), summary, action}, also
[further findings], method, url, status, source, checks [{step, title,
result ("pass", "fail", "n/a", "info"), evidence}], request_id. The cause
identifiers are stable: authorized, no_credentials, invalid_credential,
wrong_scheme, malformed_credential, other_environment, clock_skew,
header_stripped, cors_blocked, insufficient_scope, forbidden,
rate_limited, server_unavailable, not_an_auth_failure, unreachable,
unknown.

Exit status: 0 the request was authorized; 1 it was refused (or got no
answer), with a diagnosis; 2 usage error (the error goes to stderr and
nothing to stdout, with --json too).

Flags:
`

// headerList is the repeatable -H flag.
type headerList []string

func (h *headerList) String() string     { return fmt.Sprintf("%d header(s)", len(*h)) }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

type doctorFlags struct {
	method  string
	headers headerList
	user    string
	data    string
	origin  string
	har     string
	entry   int
	json    bool
	timeout time.Duration
}

// usageErr is a bad command line.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func runDoctor(ctx context.Context, e env, args []string) int {
	stdout, stderr := e.stdout, e.stderr
	req, f, err := parseDoctor(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "authgate doctor:", err)
		fmt.Fprintln(stderr, `Run "authgate doctor -h" for usage.`)
		return 2
	}
	cfg := doctor.Config{Timeout: f.timeout}
	if e.transport != nil {
		t := f.timeout
		if t <= 0 {
			t = 10 * time.Second
		}
		cfg.Client = &http.Client{Timeout: t, Transport: e.transport}
	}
	rep, err := doctor.Run(ctx, cfg, req)
	if err != nil {
		fmt.Fprintln(stderr, "authgate doctor:", err)
		return 2
	}
	if f.json {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "authgate doctor:", err)
		return 1
	}
	return rep.ExitCode()
}

// parseDoctor reads the command line into the request to diagnose. Flags
// may follow the URL, as with curl.
func parseDoctor(args []string, stderr io.Writer) (*doctor.Request, *doctorFlags, error) {
	f := &doctorFlags{}
	fs := flag.NewFlagSet("authgate doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.method, "X", "", "request `method` (default GET, or POST with -d)")
	fs.Var(&f.headers, "H", "request `header` \"Name: value\" (repeatable)")
	fs.StringVar(&f.user, "u", "", "Basic credentials `user:password`")
	fs.StringVar(&f.data, "d", "", "request body `data` (@file reads a file)")
	fs.StringVar(&f.origin, "origin", "", "browser `origin` (scheme://host[:port]) the request comes from: checks CORS")
	fs.StringVar(&f.har, "har", "", "HAR `file` exported from the browser's Network tab")
	fs.IntVar(&f.entry, "har-entry", -1, "HAR entry `index` to diagnose (default: the last refused one)")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "timeout of each HTTP exchange")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), doctorUsage)
		fs.PrintDefaults()
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > 1 {
		return nil, nil, &usageErr{fmt.Sprintf("one URL expected, got %d arguments", len(pos))}
	}
	var req *doctor.Request
	if f.har != "" {
		r, err := readHAR(f.har, f.entry)
		if err != nil {
			return nil, nil, err
		}
		req = r
		if len(pos) == 1 {
			if err := req.Rebase(pos[0]); err != nil {
				return nil, nil, err
			}
		}
	} else {
		if len(pos) == 0 {
			return nil, nil, &usageErr{"no URL given"}
		}
		req = &doctor.Request{Method: http.MethodGet, URL: pos[0], Header: http.Header{}}
	}
	if err := applyFlags(req, f); err != nil {
		return nil, nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	return req, f, nil
}

func readHAR(path string, entry int) (*doctor.Request, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--har: %w", err)
	}
	defer fh.Close()
	return doctor.ReadHAR(fh, entry)
}

// applyFlags adds the curl-like flags to the request (on top of a HAR's).
func applyFlags(req *doctor.Request, f *doctorFlags) error {
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			// Not quoted: the header may be a credential.
			return &usageErr{fmt.Sprintf("-H: a header is \"Name: value\"; got %d characters without a name and a colon", len(h))}
		}
		req.Header.Add(name, strings.TrimLeft(value, " \t"))
	}
	if f.data != "" {
		body := []byte(f.data)
		if strings.HasPrefix(f.data, "@") {
			b, err := os.ReadFile(f.data[1:])
			if err != nil {
				return fmt.Errorf("-d: %w", err)
			}
			body = b
		}
		req.Body = body
		if f.method == "" && req.Method == http.MethodGet {
			req.Method = http.MethodPost
		}
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl -d, unless -H set one
		}
	}
	if f.method != "" {
		req.Method = f.method
	}
	if u, err := url.Parse(req.URL); err == nil && u.User != nil {
		// curl sends URL user information as Basic credentials; so does
		// the doctor, from the header where it can check them.
		if f.user == "" {
			f.user = u.User.String()
			if p, ok := u.User.Password(); ok {
				f.user = u.User.Username() + ":" + p
			}
		}
		u.User = nil
		req.URL = u.String()
	}
	if f.user != "" {
		if !strings.Contains(f.user, ":") {
			return &usageErr{"-u: give user:password (the doctor does not prompt for a password)"}
		}
		req.Header.Add("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(f.user)))
	}
	if f.origin != "" {
		req.Origin = strings.TrimSuffix(f.origin, "/")
	}
	return nil
}
