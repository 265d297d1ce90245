package orders_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeTesting keeps the README's "Testing your handlers" example
// identical to orders_test.go, so what a reader pastes is what CI runs.
func TestReadmeTesting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("orders_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Error("README.md does not hold examples/orders/orders_test.go verbatim in a go code block")
	}
}
