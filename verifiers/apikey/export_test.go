package apikey

import "net/http"

// ChecksumForTest returns the checksum Generate would append to body.
func ChecksumForTest(body string) string {
	c := encodeChecksum(crc32String(body))
	return string(c[:])
}

// ParseKeyFileForTest exposes the key file parser.
var ParseKeyFileForTest = readKeyFile

// QueryValueForTest returns what v reads from the query string of r
// through its first place (a WithQuery place): the first value, how many
// values it counted and the error of a bad escape.
func QueryValueForTest(v *Verifier, r *http.Request) (string, int, error) {
	return v.places[0].get(r)
}
