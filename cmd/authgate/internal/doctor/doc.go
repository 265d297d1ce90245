// Package doctor diagnoses a refused HTTP request from the client's side:
// it sends the request (and its CORS preflight), reads the status, every
// WWW-Authenticate challenge and a problem+json body, checks the
// credential locally (a JWT's claims against both clocks, its issuer's
// keys, an API key's checksum, Basic's encoding, format faults), and names
// the most likely of the eight classic causes of a 401 with the evidence
// for it. It never prints a credential: see Scrubber.
//
// It is the engine of `authgate doctor`; Run returns a Report that the
// command renders as text or JSON.
package doctor
