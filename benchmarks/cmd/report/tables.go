package main

import (
	"fmt"
	"io"
	"strings"
)

// This file writes the results tables: every row's median beside its
// floors, and the paired rows.

func writeTables(w io.Writer, r *results) {
	fmt.Fprintln(w, "### JWT: one token per request")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`floor-bare` is the signature check alone (standard library, no HTTP); `floor-jwx` is jwx v3's `jwt.Parse` with validation (no HTTP). Every other row is a full request through its router. \"× bare\" divides by `floor-bare`; \"over floor\" subtracts the router's no-auth floor (chi, or echo for `echojwt`).")
	fmt.Fprintln(w)
	for _, alg := range algs {
		fmt.Fprintf(w, "**%s**\n\n", alg)
		fmt.Fprintln(w, "| path | implementation | time/op | × bare | over floor | allocs/op | B/op |")
		fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|")
		for _, p := range jwtPaths {
			for _, im := range jwtImpls {
				s, ok := r.get(fmt.Sprintf("JWT/alg=%s/path=%s/impl=%s", alg, p, im))
				if !ok {
					continue
				}
				over := "—"
				if !strings.HasPrefix(im, "floor") {
					f, _, _ := r.routerFloor(im)
					over = signedDur(s.ns - f)
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f | %.0f |\n", p, im, dur(s.ns), ratio(s.ns, r.bare(alg, p)), over, s.allocs, s.bytes)
			}
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "### JWT: 1 vs 100 keys in the key set (ES256, the token's key last)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| path | implementation | 1 key | 100 keys | 100 / 1 | allocs 1 → 100 |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|")
	for _, p := range []string{"success", "unknown_key"} {
		for _, im := range []string{"authgate-nocache", "authgate-cache", "echojwt", "auth0"} {
			a, ok1 := r.get(fmt.Sprintf("JWTScale/keys=1/path=%s/impl=%s", p, im))
			b, ok2 := r.get(fmt.Sprintf("JWTScale/keys=100/path=%s/impl=%s", p, im))
			if ok1 && ok2 {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f → %.0f |\n", p, im, dur(a.ns), dur(b.ns), ratio(b.ns, a.ns), a.allocs, b.allocs)
			}
		}
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "### API keys (X-API-Key header)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| keys | path | implementation | time/op | over floor | allocs/op | allocs over floor | B/op |")
	fmt.Fprintln(w, "|--:|---|---|--:|--:|--:|--:|--:|")
	for _, n := range []int{1, 10000} {
		for _, p := range []string{"success", "unknown", "missing"} {
			for _, im := range []string{"authgate", "echo-keyauth"} {
				s, ok := r.get(fmt.Sprintf("APIKey/keys=%d/path=%s/impl=%s", n, p, im))
				if !ok {
					continue
				}
				f, fa, _ := r.routerFloor(im)
				fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %.0f | %+.0f | %.0f |\n", n, p, im, dur(s.ns), signedDur(s.ns-f), s.allocs, s.allocs-fa, s.bytes)
			}
		}
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "### HTTP Basic, bcrypt cost 10")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| users | path | implementation | time/op | over floor | allocs/op | B/op |")
	fmt.Fprintln(w, "|--:|---|---|--:|--:|--:|--:|")
	for _, name := range r.order {
		rest, ok := strings.CutPrefix(name, "Basic/")
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) != 3 {
			continue
		}
		s := r.rows[name]
		users, path, im := strings.TrimPrefix(parts[0], "users="), strings.TrimPrefix(parts[1], "path="), strings.TrimPrefix(parts[2], "impl=")
		over := "—"
		if !strings.HasPrefix(im, "floor") {
			f, _, _ := r.routerFloor(im)
			over = signedDur(s.ns - f)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f | %.0f |\n", users, path, im, dur(s.ns), over, s.allocs, s.bytes)
	}
	fmt.Fprintln(w)

	writePaired(w, r)
	writePairedSame(w, r)

	fmt.Fprintln(w, "### Routers with no authentication, and what authgate's log events cost")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| row | time/op | allocs/op | B/op |")
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	for _, name := range r.order {
		if strings.HasPrefix(name, "Floor/") || strings.HasPrefix(name, "FloorSame/") || strings.HasPrefix(name, "Logging/") {
			s := r.rows[name]
			fmt.Fprintf(w, "| %s | %s | %.0f | %.0f |\n", name, dur(s.ns), s.allocs, s.bytes)
		}
	}
	fmt.Fprintln(w)

	writeTargets(w, r)
}

// paired returns BenchmarkPaired's medians for alg and path: authgate's
// time, its reference's (the same response after the bare signature
// check) and the difference.
func (r *results) paired(alg, path string) (authgate, ref, over float64, ok bool) {
	s, ok := r.get(fmt.Sprintf("Paired/alg=%s/path=%s", alg, path))
	if !ok {
		return 0, 0, 0, false
	}
	a, ok1 := s.extra["authgate-ns/op"]
	f, ok2 := s.extra["ref-ns/op"]
	o, ok3 := s.extra["over-ns/op"]
	return a, f, o, ok1 && ok2 && ok3
}

// pairedSame returns the over-ns/op median of BenchmarkPairedSame's row
// for name, a row name of the other benchmarks (APIKey/keys=1/path=unknown/impl=authgate,
// JWT/alg=ES256/path=expired/impl=authgate-cache) or its own
// (apikey/path=success/impl=echo-keyauth).
func (r *results) pairedSame(name string) (float64, bool) {
	switch {
	case strings.HasPrefix(name, "APIKey/keys=1/"):
		name = "apikey/" + strings.TrimPrefix(name, "APIKey/keys=1/")
	case strings.HasPrefix(name, "JWT/"):
		name = "jwt/" + strings.TrimPrefix(name, "JWT/")
	}
	s, ok := r.get("PairedSame/" + name)
	if !ok {
		return 0, false
	}
	o, ok := s.extra["over-ns/op"]
	return o, ok
}

// pairedCarry returns the over-ns/op median of BenchmarkPairedCarry's row
// for impl (nethttp, echo): what handing the subject on costs.
func (r *results) pairedCarry(impl string) (float64, bool) {
	s, ok := r.get("PairedCarry/impl=" + impl)
	if !ok {
		return 0, false
	}
	o, ok := s.extra["over-ns/op"]
	return o, ok
}

// writePairedSame writes BenchmarkPairedSame's rows: each implementation
// beside its floor, and the difference.
func writePairedSame(w io.Writer, r *results) {
	var rows []string
	for _, name := range r.order {
		if !strings.HasPrefix(name, "PairedSame/") {
			continue
		}
		s := r.rows[name]
		var impl float64
		ok := false
		for _, m := range []string{"authgate-ns/op", "echo-ns/op", "nethttp-ns/op"} {
			if impl, ok = s.extra[m]; ok {
				break
			}
		}
		f, okF := s.extra["floor-ns/op"]
		o, okO := s.extra["over-ns/op"]
		if ok && okF && okO {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", strings.TrimPrefix(name, "PairedSame/"), dur(impl), dur(f), signedDur(o)))
		}
	}
	if len(rows) == 0 {
		return
	}
	writeSection(w, "Rows beside their floors, paired",
		"`BenchmarkPairedSame`: each iteration serves the request through the implementation and through its floor (authgate's: chi sending the very response authgate gives; echo's key-auth's: echo with no authentication; the net/http key check's: chi with no authentication), one after the other in alternating order. \"over\" is the difference of the two means. Measured apart, these rows and their floors move by 0.3 to 0.5 µs from run to run, as much as the differences the targets judge: the targets take these rows when they ran.",
		"| row | implementation | floor | over |\n|---|--:|--:|--:|", rows)
}

// writeSection writes a results section: its title, the paragraph that
// says what it measures, and its table (head: the header and alignment
// lines).
func writeSection(w io.Writer, title, intro, head string, rows []string) {
	fmt.Fprintf(w, "### %s\n\n%s\n\n%s\n", title, intro, head)
	for _, l := range rows {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
}

func writePaired(w io.Writer, r *results) {
	if _, _, _, ok := r.paired(algs[0], "success"); !ok {
		return
	}
	var rows []string
	for _, alg := range algs {
		_, _, so, sok := r.paired(alg, "success")
		for _, p := range jwtPaths {
			a, f, o, ok := r.paired(alg, p)
			if !ok {
				continue
			}
			beyond := "—"
			if sok && p != "success" && p != "unknown_key" {
				beyond = signedDur(o - so)
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", alg, p, dur(a), dur(f), signedDur(o), beyond, ratio(a, f)))
		}
	}
	writeSection(w, "JWT without the token cache: authgate beside the signature check, paired",
		"`BenchmarkPaired`: each iteration serves the request through authgate (no token cache) and through its reference, chi answering with the very response authgate gives after the signature check of the same token made as authgate calls the standard library (none for `unknown_key`), timed one after the other in alternating order. \"over\" is the difference of the two means: everything authgate does but the signature check. \"over − success's over\" leaves out what a success pays too (parsing, the claims map, the key lookup): what refusing adds.",
		"| alg | path | authgate | reference | over | over − success's over | authgate / reference |\n|---|---|--:|--:|--:|--:|--:|", rows)
}
