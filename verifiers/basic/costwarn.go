package basic

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
)

// Costs below which OpenFileStore warns that a hash is weak: bcrypt cost 10
// (OWASP's minimum, and bcrypt.DefaultCost), and argon2id memory × passes
// below OWASP's weakest recommended pair (m=7168 KiB, t=5; the others,
// such as m=19456, t=2, are above it).
const (
	weakBcryptCost   = 10
	weakArgon2Work   = 7168 * 5
	maxWarnUsersList = 20
)

// weak reports whether h is below the costs above.
func (h *Hash) weak() bool {
	if h.alg == AlgBcrypt {
		return h.cost < weakBcryptCost
	}
	return uint64(h.memory)*uint64(h.time) < weakArgon2Work
}

// describeHash names a hash's algorithm and cost: "bcrypt cost 5",
// "argon2id m=65536,t=3,p=4".
func describeHash(h *Hash) string {
	if h.alg == AlgBcrypt {
		return "bcrypt " + h.Params()
	}
	return "argon2id " + h.Params()
}

// warnCosts logs, once, what is worth fixing in a loaded file: no users
// at all, weak hashes, hashes cheaper than the strongest of the file.
func warnCosts(l *zerolog.Logger, path string, users map[string]*Hash) {
	if len(users) == 0 {
		l.Warn().Str("path", path).
			Msg("basic: the htpasswd file holds no users (it is empty or only comments): every Basic login checked against it is refused")
		return
	}
	decoy := decoyFor(maps.Values(users))
	strongest := map[string]*Hash{} // by algorithm
	for x := decoy; x != nil; x = x.also {
		strongest[x.alg] = x
	}
	var weak, cheaper []string
	for _, u := range slices.Sorted(maps.Keys(users)) {
		h := users[u]
		label := sanitizeUser(u) + " (" + describeHash(h) + ")"
		if h.weak() {
			weak = append(weak, label)
		}
		if h.alg != decoy.alg || h.work() < strongest[h.alg].work() {
			cheaper = append(cheaper, label)
		}
	}
	if len(weak) == 0 && len(cheaper) == 0 {
		return
	}
	var msg strings.Builder
	msg.WriteString("basic: the htpasswd file has ")
	ev := l.Warn().Str("path", path)
	if len(weak) > 0 {
		ev.Strs("weak_users", bounded(weak))
		fmt.Fprintf(&msg, "%d %s with a weak hash (below bcrypt cost %d, or argon2id below m=19456,t=2 or its equivalents): a stolen copy of the file cracks each bcrypt one 2^(10-cost) times faster than at cost 10 (32 times at cost 5); re-hash them with htpasswd -B -C 10 or more",
			len(weak), plural(len(weak)), weakBcryptCost)
	}
	if len(cheaper) > 0 {
		if len(weak) > 0 {
			msg.WriteString("; and ")
		}
		desc := make([]string, 0, 2)
		for x := decoy; x != nil; x = x.also {
			desc = append(desc, describeHash(x))
		}
		top := strings.Join(desc, " plus ")
		ev.Strs("cheaper_users", bounded(cheaper)).Str("strongest", top)
		fmt.Fprintf(&msg, "%d %s whose hash is cheaper than the file's strongest (%s) or of the other algorithm: each check of theirs also runs decoy work up to %s, so that timing does not tell users apart; they cost that much CPU per login while their hash protects them only as well as its own cost does; re-hash them like the strongest",
			len(cheaper), plural(len(cheaper)), top, top)
	}
	ev.Msg(msg.String())
}

func plural(n int) string {
	if n == 1 {
		return "user"
	}
	return "users"
}

// bounded cuts a list of names for a log line.
func bounded(names []string) []string {
	if len(names) <= maxWarnUsersList {
		return names
	}
	out := slices.Clone(names[:maxWarnUsersList])
	return append(out, "and "+strconv.Itoa(len(names)-maxWarnUsersList)+" more")
}
