package middleware

import (
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strings"
)

// clientIPHeader is the configuration of WithClientIPHeader.
type clientIPHeader struct {
	name    string // canonical header name
	trusted []netip.Prefix
}

// Bounds on what the gate reads of a client-IP header, so a forged or
// runaway header costs little: at most maxForwardedHops addresses are
// examined, from the right, each at most maxForwardedAddrLen bytes.
const (
	maxForwardedHops    = 16
	maxForwardedAddrLen = 64
)

// WithClientIPHeader makes the gate take the client's address from header
// when, and only when, the request comes from a peer (r.RemoteAddr) inside
// one of the trusted prefixes: your own reverse proxies or load balancers.
// The address is then used for the log's remote_ip field, for log sampling
// and for failure limiting (WithFailureLimit).
//
// The header may hold one address (X-Real-IP) or a comma-separated list
// that each proxy appends to (X-Forwarded-For, possibly over several field
// lines). The gate reads it from the right and takes the first address that
// is not itself in a trusted prefix: that is the last hop your own proxies
// saw, which a client cannot forge. Addresses to its left were written by
// the client or by proxies you do not control, and are ignored.
//
// The trusted prefixes must hold your proxies and nothing else: the gate
// cannot tell a client inside one from a proxy, so such a client can
// claim any address it likes by writing it into the header, and have its
// failures counted against someone else's address, or spread over made-up
// ones. (When every address in the header is trusted, the gate takes the
// rightmost one, what your nearest proxy saw.) Do not trust a whole
// private range (10.0.0.0/8) when your clients live in it too: name your
// proxies' subnet.
//
// A request from any other peer is identified by r.RemoteAddr whatever the
// header says, since anyone can send the header. A malformed, empty or
// oversized header also falls back to r.RemoteAddr.
//
// WithClientIPHeader panics when header is empty or no valid trusted prefix
// is given: a header trusted from everywhere would let any client choose
// its own address.
func WithClientIPHeader(header string, trusted ...netip.Prefix) Option {
	if header == "" {
		panic("authgate/middleware: WithClientIPHeader needs a header name")
	}
	if len(trusted) == 0 {
		panic("authgate/middleware: WithClientIPHeader needs at least one trusted prefix (the addresses of your proxies)")
	}
	c := &clientIPHeader{name: textproto.CanonicalMIMEHeaderKey(header)}
	for _, p := range trusted {
		if !p.IsValid() {
			panic("authgate/middleware: WithClientIPHeader: invalid trusted prefix " + p.String())
		}
		c.trusted = append(c.trusted, p.Masked())
	}
	return func(g *Gate) { g.clientIP = c }
}

// client is who sent a request, as far as the gate can tell.
type client struct {
	// ip is the address for the log, as it appeared in the request.
	ip string
	// key groups requests from one client for sampling and limiting.
	key clientKey
}

// clientKey identifies a client: an IPv4 address, or an IPv6 /64 (a single
// host or subscriber usually owns a whole /64, so counting per address
// would let it rotate through 2^64 of them), as 16 bytes (IPv4 in its
// IPv4-mapped form). A RemoteAddr that is not an IP address (a Unix
// socket) is keyed by a hash of its text, marked so that it cannot equal
// an IP key. A plain array keeps map lookups to one fast hash.
type clientKey [16]byte

func keyOf(a netip.Addr) clientKey {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return clientKey(a.As16())
}

// keyOfText keys a non-IP RemoteAddr: 0xff in the first byte (an IPv6
// multicast address, never a client's) and a 64-bit FNV-1a of the text.
func keyOfText(s string) clientKey {
	var k clientKey
	k[0], k[1] = 0xff, 0xfe
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	for i := range 8 {
		k[8+i] = byte(h >> (8 * i))
	}
	return k
}

// clientIPOnly returns the address to log for r when nothing else needs
// the client's key (no sampling, no limiting). It is client(r).ip: the
// same text whether or not sampling is on.
func (g *Gate) clientIPOnly(r *http.Request) string { return g.client(r).ip }

// client returns the client of r: from the trusted header when configured
// and the peer is trusted, else from r.RemoteAddr.
func (g *Gate) client(r *http.Request) client {
	host := hostOf(r.RemoteAddr)
	if a, err := netip.ParseAddr(host); err == nil {
		if g.clientIP != nil {
			if c, ok := g.clientIP.fromHeader(r, a); ok {
				return c
			}
		}
		if a.Zone() != "" {
			// A zone is free text: the only part that may need cleaning.
			host = clean(host, maxForwardedAddrLen)
		}
		return client{ip: host, key: keyOf(a)}
	}
	// Not an IP address: a Unix socket, a test's "pipe", a host name.
	ip := clean(r.RemoteAddr, maxForwardedAddrLen)
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = clean(h, maxForwardedAddrLen)
	}
	return client{ip: ip, key: keyOfText(ip)}
}

// hostOf returns the address part of a RemoteAddr: "192.0.2.1" of
// "192.0.2.1:80", "2001:db8::1" of "[2001:db8::1]:80", and s itself when
// it has no port ("2001:db8::1", "192.0.2.1"). It does not validate the
// port: only the address is used.
func hostOf(s string) string {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s
	}
	if s[0] == '[' {
		if s[i-1] == ']' {
			return s[1 : i-1]
		}
		return s
	}
	if strings.IndexByte(s[:i], ':') >= 0 {
		return s // an IPv6 address without brackets or port
	}
	return s[:i]
}

func (c *clientIPHeader) isTrusted(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// fromHeader returns the client named by the header when peer is trusted.
func (c *clientIPHeader) fromHeader(r *http.Request, peer netip.Addr) (client, bool) {
	if !c.isTrusted(peer) {
		return client{}, false
	}
	vals := r.Header[c.name]
	var first string // the rightmost address, written by the nearest proxy
	var firstAddr netip.Addr
	hops := 0
	for i := len(vals) - 1; i >= 0; i-- {
		v := vals[i]
		for {
			if hops++; hops > maxForwardedHops {
				return client{}, false
			}
			elem := v
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				elem, v = v[j+1:], v[:j]
			} else {
				v = ""
			}
			elem = strings.Trim(elem, " \t")
			if elem == "" || len(elem) > maxForwardedAddrLen {
				return client{}, false
			}
			a, text, ok := parseForwarded(elem)
			if !ok {
				return client{}, false
			}
			if !c.isTrusted(a) {
				return client{ip: clean(text, maxForwardedAddrLen), key: keyOf(a)}, true
			}
			if first == "" {
				first, firstAddr = text, a
			}
			if v == "" {
				break
			}
		}
	}
	if first == "" {
		return client{}, false
	}
	return client{ip: clean(first, maxForwardedAddrLen), key: keyOf(firstAddr)}, true
}

// parseForwarded parses one address of a forwarding header: an IP address,
// optionally in brackets or with a port ("192.0.2.1:443",
// "[2001:db8::1]:443"). text is the address without port or brackets.
func parseForwarded(s string) (a netip.Addr, text string, ok bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, s, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		text = s[:strings.LastIndexByte(s, ':')]
		return ap.Addr(), strings.TrimSuffix(strings.TrimPrefix(text, "["), "]"), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a, s[1 : len(s)-1], true
		}
	}
	return netip.Addr{}, "", false
}
