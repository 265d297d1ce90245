package apikey

import "testing"

// parseKeyRef is parseKey as it was before it scanned with IndexByte: the
// reference the new one must agree with (FuzzParseKeyAsBefore).
func parseKeyRef(key, prefix string) parsed {
	var p parsed
	if len(key) <= len(prefix) || key[len(prefix)] != '_' || key[:len(prefix)] != prefix {
		p.fail = failForeign
		return p
	}
	base := len(prefix) + 1
	// One pass: find the separators of the three parts (environment, id,
	// secret+checksum) and the first byte after the environment that is
	// not base62.
	var seps [2]int
	nsep, bad := 0, -1
	for k := base; k < len(key); k++ {
		c := key[k]
		if c == '_' {
			if nsep < 2 {
				seps[nsep] = k
			}
			nsep++
		} else if bad < 0 && nsep > 0 && !isBase62(c) {
			bad = k
		}
	}
	if nsep != 2 {
		p.fail, p.at = failParts, nsep+1
		return p
	}
	env, id, last := key[base:seps[0]], key[seps[0]+1:seps[1]], key[seps[1]+1:]
	p.idLen, p.lastLen = len(id), len(last)
	switch {
	case env == "":
		p.fail, p.at = failEmptyPart, 0
		return p
	case id == "":
		p.fail, p.at = failEmptyPart, 1
		return p
	case last == "":
		p.fail, p.at = failEmptyPart, 2
		return p
	}
	for k := 0; k < len(env); k++ {
		if c := env[k]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			p.fail, p.at = failEnvChar, base+k
			return p
		}
	}
	if len(env) > maxEnvLen {
		p.fail = failEnvLen
		p.at = len(env)
		return p
	}
	if bad >= 0 {
		p.fail, p.at = failChar, bad
		return p
	}
	if len(last) < ChecksumLength {
		p.fail = failShort
		return p
	}
	body := key[:len(key)-ChecksumLength]
	if want := encodeChecksum(crc32String(body)); string(want[:]) != key[len(body):] {
		p.fail = failSum
		return p
	}
	if len(id) != IDLength || len(last) != SecretLength+ChecksumLength {
		p.fail = failLengths
		return p
	}
	p.env, p.id, p.secret = env, id, last[:SecretLength]
	return p
}

// FuzzParseKeyAsBefore: parseKey, which finds the separators with
// IndexByte, parses every key as the byte loop it replaced did.
func FuzzParseKeyAsBefore(f *testing.F) {
	for _, s := range []string{"ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf", "ak___", "ak_", "", "ak_live__x", "ak_li-ve_a_b",
		"ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf_", "ak_live_Zx8!bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf", "ak_x_y", "ak_a_b_c_d", "ak_é_a_b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := parseKey(key, "ak"), parseKeyRef(key, "ak"); got != want {
			t.Fatalf("parseKey(%q) = %+v, before %+v", key, got, want)
		}
	})
}
