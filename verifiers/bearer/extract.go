package bearer

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

// paramName is the query parameter and form field of RFC 6750 §2.2, §2.3.
const paramName = "access_token"

// extractor finds the token in a request: the Authorization header and,
// when enabled, the query string and a form body. It also holds what
// both verifiers answer with (the challenge, the fingerprinter). It is
// shared by Verifier and OpaqueVerifier.
type extractor struct {
	ch            challenge.Challenge
	maxTokenBytes int
	query         bool
	form          bool
	maxFormBytes  int64
	fp            *verifiers.Fingerprinter
}

func newExtractor(c *config) (extractor, error) {
	ch, err := challenge.Bearer(challenge.BearerParams{Realm: c.realm, ResourceMetadata: c.resourceMetadata})
	if err != nil {
		return extractor{}, fmt.Errorf("bearer: challenge: %w", err)
	}
	fp := c.fingerprinter
	if fp == nil {
		fp = verifiers.NewFingerprinter()
	}
	return extractor{ch: ch, maxTokenBytes: c.maxTokenBytes, query: c.query, form: c.form, maxFormBytes: c.maxFormBytes, fp: fp}, nil
}

// found is one place a token was found.
type found struct {
	tok string
	src verifiers.Source
}

func (f found) where() string {
	switch f.src.In {
	case verifiers.InQuery:
		return "the access_token query parameter"
	case verifiers.InForm:
		return "the access_token form field"
	default:
		return "the Authorization header"
	}
}

// token returns the request's token and where it was. It returns
// verifiers.ErrNoCredentials when there is none, and a Rejection with
// request_malformed (400) for an empty token, or one sent two ways or
// twice (RFC 6750 §2, §3.1 invalid_request), and credentials_too_large
// (431) for a token over the size cap, checked before any parsing.
func (t *extractor) token(r *http.Request) (string, verifiers.Source, error) {
	var hits [3]found
	n := 0
	// The canonical key directly: Header.Values would canonicalize
	// "Authorization" again on every request.
	auth := r.Header["Authorization"]
	if len(auth) > 1 {
		return "", verifiers.Source{}, verifiers.Reject(verifiers.RequestMalformed,
			fmt.Sprintf("the request has %d Authorization header fields; exactly one is allowed", len(auth)))
	}
	if len(auth) == 1 {
		if rest, ok := bearerCredentials(auth[0]); ok {
			if rest == "" {
				return "", verifiers.Source{}, verifiers.Reject(verifiers.RequestMalformed,
					"the Authorization header says Bearer but carries no token").
					WithHint("the client sent the scheme without a token; check that the variable holding the token is set")
			}
			hits[n] = found{tok: rest, src: verifiers.Source{In: verifiers.InAuthorization}}
			n++
		}
	}
	if t.query && r.URL != nil && mayHoldParam(r.URL.RawQuery) {
		// Parsed as r.URL.Query() parses it for the handler, so that the
		// gate sees every token the handler would, however its name is
		// escaped (access%5Ftoken).
		q, _ := url.ParseQuery(r.URL.RawQuery)
		if vs, ok := q[paramName]; ok {
			if len(vs) > 1 {
				return "", verifiers.Source{}, verifiers.Reject(verifiers.RequestMalformed,
					fmt.Sprintf("the access_token query parameter appears %d times; a request carries one token (RFC 6750 §2.3)", len(vs)))
			}
			hits[n] = found{tok: vs[0], src: verifiers.Source{In: verifiers.InQuery, Name: paramName}}
			n++
		}
	}
	if t.form {
		vs, err := t.formValues(r)
		if err != nil {
			return "", verifiers.Source{}, err
		}
		if len(vs) > 1 {
			return "", verifiers.Source{}, verifiers.Reject(verifiers.RequestMalformed,
				fmt.Sprintf("the access_token form field appears %d times; a request carries one token (RFC 6750 §2.2)", len(vs)))
		}
		if len(vs) == 1 {
			hits[n] = found{tok: vs[0], src: verifiers.Source{In: verifiers.InForm, Name: paramName}}
			n++
		}
	}
	switch n {
	case 0:
		return "", verifiers.Source{}, verifiers.ErrNoCredentials
	case 1:
	default:
		return "", verifiers.Source{}, verifiers.Reject(verifiers.RequestMalformed,
			fmt.Sprintf("the token was sent in %s and in %s; RFC 6750 §2 allows exactly one method per request", hits[0].where(), hits[1].where())).
			WithHint("the client, or a proxy, adds a token in a second place; send it in the Authorization header only")
	}
	h := hits[0]
	if h.tok == "" {
		return "", verifiers.Source{}, verifiers.Reject(verifiers.RequestMalformed,
			fmt.Sprintf("%s is present but empty", h.where()))
	}
	if len(h.tok) > t.maxTokenBytes {
		rej := verifiers.Reject(verifiers.CredentialsTooLarge,
			fmt.Sprintf("the token in %s is %d bytes, over the %d-byte limit; it was not parsed", h.where(), len(h.tok), t.maxTokenBytes))
		if h.src.In == verifiers.InAuthorization {
			rej.With(verifiers.AttrHeader, "Authorization")
		}
		return "", verifiers.Source{}, rej
	}
	return h.tok, h.src, nil
}

// bearerCredentials is verifiers.SplitAuthorization followed by a
// case-insensitive comparison of the scheme with "Bearer", without the
// generic trimming: it runs on every request.
func bearerCredentials(v string) (rest string, ok bool) {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' }
	i, j := 0, len(v)
	for i < j && isSpace(v[i]) {
		i++
	}
	for j > i && isSpace(v[j-1]) {
		j--
	}
	v = v[i:j]
	const scheme = "bearer"
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	v = v[len(scheme):]
	if v != "" && !isSpace(v[0]) {
		return "", false // another scheme, such as "Bearerx"
	}
	for v != "" && isSpace(v[0]) {
		v = v[1:]
	}
	return v, true
}

// formValues returns the access_token values of a form body (RFC 6750
// §2.2): only for POST, PUT and PATCH (methods whose body has defined
// semantics; never GET), only for application/x-www-form-urlencoded. It
// reads at most maxFormBytes and restores the body so that handlers read
// it whole.
func (t *extractor) formValues(r *http.Request) ([]string, error) {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil, nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	if r.PostForm != nil {
		return r.PostForm[paramName], nil
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, t.maxFormBytes+1))
	r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(buf), r.Body), closer: r.Body}
	if err != nil {
		return nil, verifiers.Reject(verifiers.RequestMalformed,
			"the form body could not be read while looking for an access_token field: "+err.Error())
	}
	if int64(len(buf)) > t.maxFormBytes || !mayHoldParam(string(buf)) {
		return nil, nil
	}
	q, _ := url.ParseQuery(string(buf))
	return q[paramName], nil
}

// mayHoldParam reports whether a query string or form body may have an
// access_token field once unescaped, as url.ParseQuery (and so
// r.URL.Query() and r.ParseForm in the handler) reads it: the name
// spelled out, or any percent-escape, which may spell it
// ("access%5Ftoken", "%61ccess_token"). It spares parsing the others.
func mayHoldParam(raw string) bool {
	return strings.Contains(raw, paramName) || strings.IndexByte(raw, '%') >= 0
}

// replayBody gives back the bytes the verifier read, then the rest.
type replayBody struct {
	io.Reader
	closer io.Closer
}

func (b *replayBody) Close() error { return b.closer.Close() }
