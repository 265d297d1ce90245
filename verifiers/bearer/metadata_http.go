package bearer

import (
	"net/http"
	"slices"
	"strconv"
)

// This file serves the protected resource metadata built in metadata.go.

// metadataCacheControl lets clients and shared caches keep the document
// for an hour: it changes only with the server's configuration.
const metadataCacheControl = "public, max-age=3600"

// ServeHTTP answers with the metadata document, whatever the request's
// path: mount it at m.Paths() on a mux, or use Middleware, which does.
// GET and HEAD get 200 with the JSON document; a CORS preflight (OPTIONS)
// gets 204; any other method 405 with Allow. Every answer carries
// Access-Control-Allow-Origin: *, since the document is public and
// browser-based clients fetch it from other origins (it holds no
// credential, and none is needed to read it).
func (m *Metadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		// A browser preflights the fetch when the client adds a header
		// of its own (MCP clients send MCP-Protocol-Version).
		h.Set("Access-Control-Allow-Methods", "GET, HEAD")
		h.Set("Access-Control-Allow-Headers", "*")
		h.Set("Access-Control-Max-Age", "86400")
		h.Set("Allow", "GET, HEAD, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte("405 method not allowed: the protected resource metadata is read with GET\n"))
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", metadataCacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(m.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(m.body)
	}
}

// Middleware returns next with the metadata document served in front of
// it: a request whose path is one of m.Paths() (compared exactly, after
// percent-decoding) is answered by ServeHTTP and never reaches next;
// every other request goes to next untouched. Mount it outside the gate,
// so that the document can be read without credentials while every other
// path stays behind the gate:
//
//	http.ListenAndServe(addr, v.Metadata().Middleware(gate.Require(v)(app)))
func (m *Metadata) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(m.paths, r.URL.Path) {
			m.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Metadata returns the verifier's protected resource metadata, or nil
// when it was made without WithProtectedResource.
func (v *Verifier) Metadata() *Metadata { return v.meta }

// Metadata returns the verifier's protected resource metadata, or nil
// when it was made without WithProtectedResource.
func (v *OpaqueVerifier) Metadata() *Metadata { return v.meta }
