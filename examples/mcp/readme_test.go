package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeMCP keeps the code of README.md's "Protecting an MCP server"
// verbatim the lines of newApp it shows (app.go, between the markers,
// less one tab of indentation).
func TestReadmeMCP(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("app.go")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "verbatim (TestReadmeMCP).\n", "\t// README ends.\n"
	s := string(src)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("app.go lacks the README markers")
	}
	lines := strings.Split(s[i+len(begin):j], "\n")
	for k, l := range lines {
		lines[k] = strings.TrimPrefix(l, "\t")
	}
	snippet := strings.Join(lines, "\n")
	r := string(readme)
	sec := strings.Index(r, "\n## Protecting an MCP server\n")
	next := strings.Index(r, "\n## CORS\n")
	if sec < 0 || next < sec {
		t.Fatal(`README.md lacks "## Protecting an MCP server" right before "## CORS"`)
	}
	if body := r[sec:next]; !strings.Contains(body, "```go\n"+snippet+"```") {
		t.Errorf("README.md's MCP section does not hold app.go's lines verbatim:\n%s", snippet)
	}
	if strings.Count(r[sec+1:next], "\n## ") != 0 {
		t.Error("another section sits between the MCP section and CORS")
	}
}
