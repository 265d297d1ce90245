package apikey

// ChecksumForTest returns the checksum Generate would append to body.
func ChecksumForTest(body string) string {
	c := encodeChecksum(crc32String(body))
	return string(c[:])
}

// ParseKeyFileForTest exposes the key file parser.
var ParseKeyFileForTest = readKeyFile
