package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Cause is the stable identifier of a diagnosis, part of the --json output.
type Cause string

// The eight causes of the 401 troubleshooting guide, numbered as in the
// guide, and the other outcomes the doctor can name.
const (
	CauseAuthorized        Cause = "authorized"           // the request was authorized
	CauseNoCredentials     Cause = "no_credentials"       // 1: no credentials on the request
	CauseInvalidCredential Cause = "invalid_credential"   // 2: invalid, expired or revoked
	CauseWrongScheme       Cause = "wrong_scheme"         // 3: a scheme the resource does not accept
	CauseMalformed         Cause = "malformed_credential" // 4: a badly formatted credential
	CauseOtherEnvironment  Cause = "other_environment"    // 5: a credential of another environment
	CauseClockSkew         Cause = "clock_skew"           // 6: clocks disagree
	CauseHeaderStripped    Cause = "header_stripped"      // 7: the credential was lost on the way
	CauseCORS              Cause = "cors_blocked"         // 8: the browser blocks the request or its answer
	CauseInsufficientScope Cause = "insufficient_scope"   // 403: authenticated, a scope is missing
	CauseForbidden         Cause = "forbidden"            // 403: authenticated, refused by policy
	CauseRateLimited       Cause = "rate_limited"         // 429
	CauseServerUnavailable Cause = "server_unavailable"   // 503: the server could not check
	CauseNotAuth           Cause = "not_an_auth_failure"  // another status (404, 500...)
	CauseUnreachable       Cause = "unreachable"          // no answer at all
	CauseUnknown           Cause = "unknown"              // refused, and the evidence names no cause
)

// Number is the cause's number in the guide (1 to 8), 0 for the others.
func (c Cause) Number() int {
	switch c {
	case CauseNoCredentials:
		return 1
	case CauseInvalidCredential:
		return 2
	case CauseWrongScheme:
		return 3
	case CauseMalformed:
		return 4
	case CauseOtherEnvironment:
		return 5
	case CauseClockSkew:
		return 6
	case CauseHeaderStripped:
		return 7
	case CauseCORS:
		return 8
	}
	return 0
}

// Finding is one diagnosis: a cause, the sentence that explains it with
// the evidence, and what to do.
type Finding struct {
	Cause   Cause  `json:"cause"`
	Number  int    `json:"number,omitempty"`
	Summary string `json:"summary"`
	Action  string `json:"action,omitempty"`
}

func finding(c Cause, summary, action string) Finding {
	return Finding{Cause: c, Number: c.Number(), Summary: summary, Action: action}
}

// Result is the state of one checklist step.
type Result string

// Checklist results.
const (
	Pass          Result = "pass"
	Fail          Result = "fail"
	NotApplicable Result = "n/a"
	Info          Result = "info"
)

// Check is one step of the guide's checklist with its evidence.
type Check struct {
	Step     string `json:"step"`
	Title    string `json:"title"`
	Result   Result `json:"result"`
	Evidence string `json:"evidence"`
}

// Outcome is what happened to the request.
type Outcome string

// Outcomes, and the exit status each one maps to.
const (
	Authorized Outcome = "authorized" // exit 0
	Refused    Outcome = "refused"    // exit 1
	Failed     Outcome = "failed"     // exit 1: no answer to diagnose
)

// Report is the doctor's diagnosis of one request.
type Report struct {
	Version   int       `json:"version"` // of this JSON shape: 1
	Outcome   Outcome   `json:"outcome"`
	Verdict   Finding   `json:"verdict"`
	Also      []Finding `json:"also,omitempty"` // further causes the evidence supports
	Method    string    `json:"method"`
	URL       string    `json:"url"` // credentials in the query string are replaced
	Status    int       `json:"status,omitempty"`
	Source    string    `json:"source"`
	Checks    []Check   `json:"checks"`
	RequestID string    `json:"request_id,omitempty"`

	scrub *Scrubber
}

// ExitCode is the command's exit status for the report: 0 when the request
// was authorized, 1 otherwise.
func (r *Report) ExitCode() int {
	if r.Outcome == Authorized {
		return 0
	}
	return 1
}

// Causes lists the verdict's cause and the other causes found.
func (r *Report) Causes() []Cause {
	out := []Cause{r.Verdict.Cause}
	for _, f := range r.Also {
		out = append(out, f.Cause)
	}
	return out
}

var marks = map[Result]string{Pass: "✓", Fail: "✗", NotApplicable: "–", Info: "·"}

// WriteText writes the report for people: the verdict, the checklist, the
// request id.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	v := r.Verdict
	num := ""
	if v.Number > 0 {
		num = fmt.Sprintf(" (cause %d of the 401 guide: %s)", v.Number, v.Cause)
	} else {
		num = fmt.Sprintf(" (%s)", v.Cause)
	}
	fmt.Fprintf(&b, "Verdict%s:\n  %s\n", num, v.Summary)
	if v.Action != "" {
		fmt.Fprintf(&b, "  What to do: %s\n", v.Action)
	}
	for _, f := range r.Also {
		fmt.Fprintf(&b, "Also (%s): %s\n", f.Cause, f.Summary)
		if f.Action != "" {
			fmt.Fprintf(&b, "  What to do: %s\n", f.Action)
		}
	}
	fmt.Fprintf(&b, "\nChecklist for %s %s (%s):\n", r.Method, r.URL, r.Source)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %s %s: %s\n", marks[c.Result], c.Title, c.Evidence)
	}
	if r.RequestID != "" {
		fmt.Fprintf(&b, "\nRequest id: %s (quote it to the API's operator)\n", r.RequestID)
	} else {
		fmt.Fprintf(&b, "\nRequest id: none sent by the server\n")
	}
	_, err := io.WriteString(w, printable(r.scrubbed(b.String())))
	return err
}

// printable replaces control characters (but line breaks) with "?": the
// report quotes what servers send, and a terminal must not run their
// escape sequences.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || (r >= 0x20 && r != 0x7f && (r < 0x80 || r > 0x9f)) {
			return r
		}
		return '?'
	}, s)
}

// WriteJSON writes the report as one JSON object (see Report's fields).
func (r *Report) WriteJSON(w io.Writer) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	_, err := io.WriteString(w, r.scrubbed(b.String()))
	return err
}

func (r *Report) scrubbed(s string) string {
	if r.scrub == nil {
		return s
	}
	return r.scrub.Scrub(s)
}
