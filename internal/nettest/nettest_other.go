//go:build !unix

package nettest

import (
	"net"
	"testing"
)

// refusedAddr, without Unix sockets to hold a port: a closed listener's
// address, which another listener may take (rarely) before the test
// connects.
func refusedAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("nettest: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
