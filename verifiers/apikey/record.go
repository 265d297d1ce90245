package apikey

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/verifiers"
)

// ErrNotFound is returned by a Store's Lookup when it holds no key with the
// id; the Verifier then rejects the request with apikey_unknown. Return
// it, or an error wrapping it, only for a definite "no such key": any other
// error means the store could not be read, and the request gets a 503.
var ErrNotFound = errors.New("apikey: no such key")

// ErrInvalidRecord is wrapped by the errors of Record.Validate, and so by
// those of the stores and FormatFileLine.
var ErrInvalidRecord = errors.New("apikey: invalid key record")

// Store finds key records by id. Implement it over your own database; the
// package provides MemoryStore and FileStore.
type Store interface {
	// Lookup returns the record whose ID is id. It returns ErrNotFound (or
	// an error wrapping it) when there is none, and any other error when
	// it cannot tell (database down, timeout): the Verifier answers that
	// with 503, never with 401. ctx is the request's context.
	//
	// The returned record must not be modified afterwards. Returning the
	// same *Record for the same id, as MemoryStore and FileStore do, lets
	// the Verifier reuse the Identity it built for it, so a successful
	// request allocates nothing; a fresh *Record costs one allocation.
	Lookup(ctx context.Context, id string) (*Record, error)
}

// Record is what a store keeps about one key. It holds no secret: only the
// SHA-256 of the key's secret (see the package documentation for why a
// fast hash is right for random keys). Do not modify a Record after giving
// it to a store; replace it with a new one instead.
type Record struct {
	// ID is the key's public id (Key.ID), or the "ext_..." id of a foreign
	// key (ForeignKey).
	ID string
	// Hash is the SHA-256 of the key's secret (Key.Hash), or of the whole
	// key for a foreign key.
	Hash [sha256.Size]byte
	// Subject is the key's owner, the Identity's Subject.
	Subject string
	// Scopes are granted to requests made with the key.
	Scopes []string
	// Environment is the environment the key was issued for, such as
	// "live"; empty means any. A Verifier configured with another
	// environment rejects the key with apikey_wrong_environment.
	Environment string
	// Created is when the key was issued; zero if unknown. Informative.
	Created time.Time
	// Expires is when the key stops being valid; zero means never.
	Expires time.Time
	// Revoked is when the key was revoked; zero means it is not. A time
	// in the future schedules the revocation: the key is valid until then.
	Revoked time.Time

	idents atomic.Pointer[identNode]
}

// identNode caches the Identity of a record for one Source. Nodes are
// immutable once published and form a short list: one node per place the
// verifiers using the record read keys from.
type identNode struct {
	src   verifiers.Source
	id    verifiers.Identity
	attrs [1]verifiers.Attr
	next  *identNode
}

// identity returns the Identity of r as read from src, built once and
// shared by every request: Identity is read-only by contract.
func (r *Record) identity(src verifiers.Source) *verifiers.Identity {
	head := r.idents.Load()
	for n := head; n != nil; n = n.next {
		if n.src == src {
			return &n.id
		}
	}
	n := &identNode{src: src, next: head}
	n.attrs[0] = verifiers.Attr{Key: verifiers.AttrKeyID, Value: r.ID}
	n.id = verifiers.Identity{
		Subject: r.Subject,
		Scheme:  verifiers.SchemeAPIKey,
		Scopes:  r.Scopes[:len(r.Scopes):len(r.Scopes)], // an append by a handler cannot write into r
		Attrs:   n.attrs[:],
		Source:  src,
	}
	// If another request cached a node meanwhile, n is still a correct
	// identity; it is just not cached this time.
	r.idents.CompareAndSwap(head, n)
	return &n.id
}

// Limits of Validate.
const (
	maxIDLen      = 64
	maxSubjectLen = 256
	maxScopeLen   = 128
	maxScopes     = 64
)

// Validate reports whether r can be stored and written to a key file: ID is
// 1 to 64 characters A-Z a-z 0-9 and "_.~:-"; Subject is 1 to 256 bytes of
// UTF-8 without spaces or control characters; each scope is 1 to 128
// characters of RFC 6750's scope-token set without ',' (at most 64
// scopes); Environment is empty or 1 to 16 characters a-z0-9; and Hash is
// not all zeros.
func (r *Record) Validate() error {
	if r == nil {
		return fmt.Errorf("%w: nil record", ErrInvalidRecord)
	}
	if err := checkID(r.ID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if r.Hash == ([sha256.Size]byte{}) {
		return fmt.Errorf("%w: key %s: hash is all zeros (not set)", ErrInvalidRecord, r.ID)
	}
	if err := checkSubject(r.Subject); err != nil {
		return fmt.Errorf("%w: key %s: %w", ErrInvalidRecord, r.ID, err)
	}
	if len(r.Scopes) > maxScopes {
		return fmt.Errorf("%w: key %s: %d scopes, over the %d allowed", ErrInvalidRecord, r.ID, len(r.Scopes), maxScopes)
	}
	for i, s := range r.Scopes {
		if err := checkScope(s); err != nil {
			return fmt.Errorf("%w: key %s: scope %d: %w", ErrInvalidRecord, r.ID, i+1, err)
		}
	}
	if r.Environment != "" && !validEnv(r.Environment) {
		return fmt.Errorf("%w: key %s: environment must be 1 to %d characters a-z0-9", ErrInvalidRecord, r.ID, maxEnvLen)
	}
	return nil
}

func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("id must be 1 to %d characters, got %d", maxIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(isBase62(c) || c == '.' || c == '_' || c == '~' || c == ':' || c == '-') {
			return fmt.Errorf("id has byte 0x%02x at offset %d, outside A-Z a-z 0-9 _.~:-", c, i)
		}
	}
	// A whole key pasted where its id belongs would put the secret in the
	// store and, as key_id, in the logs.
	if i := strings.IndexByte(id, '_'); i > 0 && parseKey(id, id[:i]).fail == failNone {
		return errors.New("the id is a whole API key, secret included; store only its id part (Key.ID)")
	}
	return nil
}

func checkSubject(s string) error {
	if s == "" || len(s) > maxSubjectLen {
		return fmt.Errorf("subject must be 1 to %d bytes, got %d", maxSubjectLen, len(s))
	}
	if !utf8.ValidString(s) {
		return errors.New("subject is not valid UTF-8")
	}
	for i, c := range s {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			return fmt.Errorf("subject has a space or control character at byte %d", i)
		}
	}
	return nil
}

// checkScope enforces RFC 6750 §3's scope-token (%x21 / %x23-5B /
// %x5D-7E), minus ',', the key file's separator.
func checkScope(s string) error {
	if s == "" || len(s) > maxScopeLen {
		return fmt.Errorf("scope must be 1 to %d characters, got %d", maxScopeLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ',' {
			return fmt.Errorf("scope has byte 0x%02x at offset %d, outside RFC 6750's scope-token set (or ',')", c, i)
		}
	}
	return nil
}

// copyWith returns a copy of r's fields (not its identity cache) changed
// by f.
func (r *Record) copyWith(f func(*Record)) *Record {
	c := &Record{
		ID: r.ID, Hash: r.Hash, Subject: r.Subject, Scopes: r.Scopes,
		Environment: r.Environment, Created: r.Created, Expires: r.Expires, Revoked: r.Revoked,
	}
	f(c)
	return c
}
