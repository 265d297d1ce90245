package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeQuickstarts keeps the README's quickstarts, and its "Testing
// your handlers" example, identical to these compiled files, so what a
// reader pastes is what CI builds.
func TestReadmeQuickstarts(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.go", "../nethttp/main.go", "../../orders/orders_test.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
			t.Errorf("README.md does not hold %s verbatim in a go code block", f)
		}
	}
}
