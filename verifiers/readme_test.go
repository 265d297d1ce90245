package verifiers_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestReadmeReasonsTable keeps the README's reasons table in step with the
// code: every reason, with its status and public code.
func TestReadmeReasonsTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = cells
	}
	for _, r := range verifiers.Reasons() {
		cells, ok := rows[string(r)]
		if !ok {
			t.Errorf("README reasons table lacks %s", r)
			continue
		}
		if got := strings.TrimSpace(cells[2]); got != strconv.Itoa(r.Status()) {
			t.Errorf("README says %s is %s, code says %d", r, got, r.Status())
		}
		if got := strings.Trim(strings.TrimSpace(cells[3]), "`"); got != string(r.Public()) {
			t.Errorf("README says %s shows as %s, code says %s", r, got, r.Public())
		}
	}
}
