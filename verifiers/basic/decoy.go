package basic

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Decoy returns a new Hash with the algorithm and cost parameters of h and
// a random salt and digest, which no password matches in practice. A Store
// returns one from its Decoy method, so that checking the password of a
// user who does not exist costs the same as checking a wrong password.
func (h *Hash) Decoy() *Hash {
	switch h.alg {
	case AlgArgon2id:
		salt := randomBytes(len(h.salt))
		key := randomBytes(len(h.key))
		enc := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", h.memory, h.time, h.threads,
			phcEncoding.EncodeToString(salt), phcEncoding.EncodeToString(key))
		return &Hash{alg: AlgArgon2id, encoded: enc, memory: h.memory, time: h.time, threads: h.threads, salt: salt, key: key}
	default:
		return bcryptDecoy(h.cost)
	}
}

// bcryptDecoy builds a syntactically valid bcrypt hash at cost with random
// salt and digest. Nothing is hashed to make it: checking a password
// against it runs the full key schedule at cost and then fails.
func bcryptDecoy(cost int) *Hash {
	// 16 bytes of salt give 22 characters, 23 bytes of digest give 31.
	salt := bcryptEncoding.EncodeToString(randomBytes(16))
	digest := bcryptEncoding.EncodeToString(randomBytes(23))
	enc := fmt.Sprintf("$2y$%02d$%s%s", cost, salt, digest)
	return &Hash{alg: AlgBcrypt, encoded: enc, cost: cost}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// defaultDecoy is the decoy of a store that holds no hash to copy: bcrypt
// at bcrypt.DefaultCost.
func defaultDecoy() *Hash { return bcryptDecoy(bcrypt.DefaultCost) }

// work estimates the cost of one check of h in comparable units, to pick
// the strongest of a family: bcrypt's 2^cost key expansions, argon2id's
// memory times passes.
func (h *Hash) work() uint64 {
	if h.alg == AlgBcrypt {
		return 1 << uint(h.cost)
	}
	// Fewer lanes means less parallelism, so more wall time; break ties
	// on it.
	return (uint64(h.memory)*uint64(h.time))<<8 | uint64(255-h.threads)
}

// decoyFor returns the decoy for a set of hashes: of the algorithm most of
// them use (bcrypt on a tie), at the strongest parameters among those,
// and, when the set mixes algorithms, with the other algorithm's
// strongest decoy in its also field. With no hash at all it is bcrypt at
// bcrypt.DefaultCost.
func decoyFor(hashes func(yield func(*Hash) bool)) *Hash {
	var nb, na int
	var sb, sa *Hash
	for h := range hashes {
		switch h.alg {
		case AlgBcrypt:
			nb++
			if sb == nil || h.work() > sb.work() {
				sb = h
			}
		case AlgArgon2id:
			na++
			if sa == nil || h.work() > sa.work() {
				sa = h
			}
		}
	}
	first, second := sb, sa
	if na > nb {
		first, second = sa, sb
	}
	if first == nil {
		return defaultDecoy()
	}
	d := first.Decoy()
	if second != nil {
		d.also = second.Decoy()
	}
	return d
}

// covering returns a decoy that costs at least as much as d and as h: d
// itself when it already does, else a new one with h's algorithm raised
// to h's parameters, or added when d had none of it. The algorithm of d
// stays first.
func covering(d, h *Hash) *Hash {
	var b, a *Hash // d's bcrypt and argon2id parts
	for x := d; x != nil; x = x.also {
		if x.alg == AlgBcrypt {
			b = x
		} else {
			a = x
		}
	}
	cur := a
	if h.alg == AlgBcrypt {
		cur = b
	}
	if cur != nil && h.work() <= cur.work() {
		return d
	}
	if h.alg == AlgBcrypt {
		b = h.Decoy()
	} else {
		a = h.Decoy()
	}
	first, second := b, a
	if d.alg == AlgArgon2id {
		first, second = a, b
	}
	out := first.alone()
	if second != nil {
		out.also = second.alone()
	}
	return out
}

// alone returns a copy of h without its also chain.
func (h *Hash) alone() *Hash {
	c := *h
	c.also = nil
	return &c
}

// pad makes a check of h cost at least as much as a check of the decoy d,
// so that timing does not tell a user with a cheap hash from an unknown
// user (who is checked against d), nor from a user with the strongest
// hash. It runs, with password, whatever work a check of h lacks:
//
//   - for each algorithm of d other than h's, that algorithm's decoy in
//     full (a file mixing bcrypt and argon2id makes every check pay for
//     both);
//   - for bcrypt against a bcrypt decoy of cost D > c, decoys of costs c,
//     c+1, ..., D-1, since 2^c + (2^c + ... + 2^(D-1)) = 2^D: the same
//     key-schedule work as one check at cost D, within the small fixed
//     cost of each run;
//   - for argon2id against a stronger argon2id decoy, a run at the
//     decoy's memory and lanes with enough passes to make up the
//     difference in memory × passes, rounded up.
//
// For an unknown user h is d itself, and pad only runs the decoys of the
// other algorithm. A user whose hash is stronger than d (which a Store
// should not allow: its decoy is its strongest hash) is not padded.
func pad(h, d *Hash, password []byte) {
	for x := d; x != nil; x = x.also {
		switch {
		case x == h:
		case x.alg != h.alg:
			x.verify(password)
		case h.alg == AlgBcrypt:
			for c := h.cost; c < x.cost; c++ {
				bcryptDecoy(c).verify(password)
			}
		case h.alg == AlgArgon2id:
			have := uint64(h.memory) * uint64(h.time)
			want := uint64(x.memory) * uint64(x.time)
			if want <= have {
				continue
			}
			t := (want - have + uint64(x.memory) - 1) / uint64(x.memory)
			argon2.IDKey(password, x.salt, uint32(t), x.memory, x.threads, uint32(len(x.key)))
		}
	}
}
