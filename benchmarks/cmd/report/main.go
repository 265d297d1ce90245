// Command report turns the output of the benchmarks (several runs of
// `go test -bench`, concatenated) into the Markdown tables of README.md:
// the median of every row, its ratio to the bare signature check and its
// cost over the router's no-auth floor, and the targets of issues 7 and
// 15 with the measured values (tables.go, targets.go).
//
//	go run ./cmd/report -machine results/machine.txt -readme README.md results/raw.txt
//
// With -readme it replaces the part of the file between the markers
// "<!-- results:begin -->" and "<!-- results:end -->"; without, it prints
// the tables.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	beginMarker = "<!-- results:begin -->"
	endMarker   = "<!-- results:end -->"
)

func main() {
	machine := flag.String("machine", "", "`file` of \"key: value\" lines describing the machine")
	readme := flag.String("readme", "", "Markdown `file` whose results section to replace")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: report [-machine file] [-readme README.md] raw.txt")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *machine, *readme, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(rawPath, machinePath, readmePath string, stdout io.Writer) error {
	f, err := os.Open(rawPath)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if machinePath != "" {
		m, err := os.ReadFile(machinePath)
		if err != nil {
			return err
		}
		writeMachine(&out, string(m), res)
	}
	writeTables(&out, res)
	if readmePath == "" {
		_, err := stdout.Write(out.Bytes())
		return err
	}
	doc, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	i, j := bytes.Index(doc, []byte(beginMarker)), bytes.Index(doc, []byte(endMarker))
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s ... %s section", readmePath, beginMarker, endMarker)
	}
	var nd bytes.Buffer
	nd.Write(doc[:i+len(beginMarker)])
	nd.WriteString("\n")
	nd.Write(out.Bytes())
	nd.Write(doc[j:])
	return os.WriteFile(readmePath, nd.Bytes(), 0o644)
}

// stat is the median of a row's samples.
type stat struct {
	ns, bytes, allocs float64
	n                 int
	// extra holds the medians of the row's other metrics
	// (b.ReportMetric), by unit: over-ns/op of BenchmarkPaired.
	extra map[string]float64
}

type results struct {
	rows  map[string]stat
	order []string
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

// extraMetric is one "value unit" pair of a benchmark line other than
// ns/op, B/op and allocs/op.
var extraMetric = regexp.MustCompile(`\s([-\d.]+) ([a-zA-Z][\w-]*/op)`)

func parse(r io.Reader) (*results, error) {
	samples := map[string][][3]float64{}
	extras := map[string]map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var v [3]float64
		for i, s := range m[2:] {
			if s != "" {
				v[i], _ = strconv.ParseFloat(s, 64)
			}
		}
		if _, ok := samples[m[1]]; !ok {
			order = append(order, m[1])
		}
		for _, e := range extraMetric.FindAllStringSubmatch(sc.Text(), -1) {
			x, err := strconv.ParseFloat(e[1], 64)
			if err != nil {
				continue
			}
			// go test prints custom metrics between ns/op and B/op, so
			// benchLine misses B/op and allocs/op after them.
			switch e[2] {
			case "ns/op":
				continue
			case "B/op":
				v[1] = x
				continue
			case "allocs/op":
				v[2] = x
				continue
			}
			if extras[m[1]] == nil {
				extras[m[1]] = map[string][]float64{}
			}
			extras[m[1]][e[2]] = append(extras[m[1]][e[2]], x)
		}
		samples[m[1]] = append(samples[m[1]], v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(order) == 0 {
		return nil, errors.New("no benchmark lines")
	}
	res := &results{rows: map[string]stat{}, order: order}
	for name, ss := range samples {
		col := func(i int) float64 {
			xs := make([]float64, len(ss))
			for j, s := range ss {
				xs[j] = s[i]
			}
			return median(xs)
		}
		st := stat{ns: col(0), bytes: col(1), allocs: col(2), n: len(ss)}
		for unit, xs := range extras[name] {
			if st.extra == nil {
				st.extra = map[string]float64{}
			}
			st.extra[unit] = median(xs)
		}
		res.rows[name] = st
	}
	return res, nil
}

// median is benchstat's center: the middle value, or the mean of the two
// middle values.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func (r *results) get(name string) (stat, bool) {
	s, ok := r.rows[name]
	return s, ok
}

func (r *results) minSamples() int {
	n := math.MaxInt
	for _, s := range r.rows {
		n = min(n, s.n)
	}
	return n
}

// dur formats nanoseconds with three significant digits.
func dur(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e6:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	default:
		return fmt.Sprintf("%.3g ns", ns)
	}
}

func signedDur(ns float64) string {
	if ns >= 0 {
		return "+" + dur(ns)
	}
	return "−" + dur(-ns)
}

func ratio(a, b float64) string { return fmt.Sprintf("%.2f×", a/b) }

func writeMachine(w io.Writer, machine string, res *results) {
	fmt.Fprintln(w, "### Machine and run")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| | |")
	fmt.Fprintln(w, "|---|---|")
	for _, line := range strings.Split(strings.TrimSpace(machine), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			fmt.Fprintf(w, "| %s | %s |\n", strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	fmt.Fprintf(w, "| samples per row | %d (the tables show the median) |\n\n", res.minSamples())
}

var (
	algs     = []string{"ES256", "RS256", "EdDSA"}
	jwtPaths = []string{"success", "expired", "bad_signature", "unknown_key"}
	jwtImpls = []string{"floor-bare", "floor-jwx", "authgate-nocache", "authgate-cache", "echojwt", "auth0", "jwtauth"}
	peers    = []string{"echojwt", "auth0", "jwtauth"}
)

// routerFloor is the no-auth floor of the router impl runs on, and its name.
func (r *results) routerFloor(impl string) (float64, float64, string) {
	name := "chi"
	if strings.HasPrefix(impl, "echo") {
		name = "echo"
	}
	s, _ := r.get("Floor/router=" + name)
	return s.ns, s.allocs, name
}

// bare is the bare signature check for a path of alg: the bad-signature
// check for bad signatures, the good one otherwise.
// work is what an uncached success of alg costs authgate over its
// same-response floor: parsing, the signature check, the claims.
func (r *results) work(alg string) (bool, float64) {
	s, ok1 := r.get(fmt.Sprintf("JWT/alg=%s/path=success/impl=authgate-nocache", alg))
	f, ok2 := r.get(fmt.Sprintf("FloorSame/jwt/alg=%s/path=success", alg))
	return ok1 && ok2, s.ns - f.ns
}

func (r *results) bare(alg, path string) float64 {
	p := "success"
	if path == "bad_signature" {
		p = path
	}
	s, _ := r.get(fmt.Sprintf("JWT/alg=%s/path=%s/impl=floor-bare", alg, p))
	return s.ns
}

// shortName drops the key names and the implementation from a row name:
// "JWT/alg=ES256/path=expired/impl=x" → "JWT ES256 expired".
func shortName(name string) string {
	var out []string
	for i, p := range strings.Split(name, "/") {
		if strings.HasPrefix(p, "impl=") {
			// The two authgate JWT rows differ only by the token cache.
			if c, ok := strings.CutPrefix(p, "impl=authgate-"); ok {
				out = append(out, "("+c+")")
			}
			continue
		}
		if i > 0 {
			_, p, _ = strings.Cut(p, "=")
		}
		out = append(out, p)
	}
	return strings.Join(out, " ")
}
