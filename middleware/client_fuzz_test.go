package middleware

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzClientIP feeds arbitrary peers and forwarding headers to the
// client-IP logic: it never panics; a peer outside the trusted prefixes
// always gets the answer it would get with no header configured (a
// spoofed header changes nothing); an address taken from the header is a
// valid IP address; and the logged text is clean and bounded.
func FuzzClientIP(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.5:443", "203.0.113.9"},
		{"10.0.0.5:443", "6.6.6.6, 203.0.113.9, 10.1.1.1"},
		{"10.0.0.5:443", "6.6.6.6\n203.0.113.9\n10.1.1.1"},
		{"192.0.2.7:5555", "203.0.113.9"},
		{"[fd00::1]:443", "[2001:db8::9]:1234, fd00::2"},
		{"[fe80::1%eth0]:80", "fe80::2%25x"},
		{"10.0.0.5:443", "203.0.113.9,,"},
		{"pipe", "1.2.3.4"},
		{"", ""},
		{"::ffff:10.0.0.1", "::ffff:192.0.2.1"},
	} {
		f.Add(s[0], s[1])
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	with := New(WithClientIPHeader("X-Forwarded-For", trusted...))
	without := New()
	f.Fuzz(func(t *testing.T, remote, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if header != "" {
			r.Header["X-Forwarded-For"] = strings.Split(header, "\n")
		}
		got, plain := with.client(r), without.client(r)
		if plain.ip != without.clientIPOnly(r) {
			t.Fatalf("client(%q).ip = %q, clientIPOnly = %q", remote, plain.ip, without.clientIPOnly(r))
		}
		for _, c := range []client{got, plain} {
			if len(c.ip) > maxForwardedAddrLen+len("…") || !utf8.ValidString(c.ip) || strings.ContainsAny(c.ip, "\x00\r\n\t\x7f") {
				t.Fatalf("unclean client text %q for peer %q, header %q", c.ip, remote, header)
			}
		}
		peer, err := netip.ParseAddr(hostOf(remote))
		trustedPeer := err == nil && with.clientIP.isTrusted(peer)
		if !trustedPeer && got != plain {
			t.Fatalf("untrusted peer %q with header %q: client %+v, without the option %+v", remote, header, got, plain)
		}
		if got != plain {
			a, err := netip.ParseAddr(got.ip)
			if err != nil {
				t.Fatalf("client %q taken from header %q is not an IP address", got.ip, header)
			}
			// Only the nearest proxy's view may name a trusted address (as
			// logged: cleaned of control bytes):
			// addresses to its left are the client's to write.
			if with.clientIP.isTrusted(a) {
				lines := r.Header["X-Forwarded-For"]
				last := lines[len(lines)-1]
				last = strings.Trim(last[strings.LastIndexByte(last, ',')+1:], " \t")
				if _, text, ok := parseForwarded(last); !ok || clean(text, maxForwardedAddrLen) != got.ip {
					t.Fatalf("trusted client %q taken from header %q, not its rightmost address", got.ip, header)
				}
			}
		}
	})
}
