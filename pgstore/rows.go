package pgstore

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/verifiers/apikey"
)

// columns are the columns of a record, in scanRecord's order.
const columns = "id, hash, subject, scopes, environment, created, expires, revoked"

// scanRecord reads one row of columns into a validated record.
func scanRecord(row pgx.Row) (*apikey.Record, error) {
	var (
		r                         apikey.Record
		hash                      []byte
		created, expires, revoked *time.Time
	)
	if err := row.Scan(&r.ID, &hash, &r.Subject, &r.Scopes, &r.Environment, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	if len(hash) != sha256.Size {
		return nil, fmt.Errorf("%w: key %s: hash is %d bytes, want %d", apikey.ErrInvalidRecord, r.ID, len(hash), sha256.Size)
	}
	copy(r.Hash[:], hash)
	r.Created, r.Expires, r.Revoked = utc(created), utc(expires), utc(revoked)
	if len(r.Scopes) == 0 {
		r.Scopes = nil
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// utc returns *t in UTC, or the zero time for NULL.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullTime is t for a timestamptz parameter: NULL when zero.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// sameRecord reports whether a and b hold the same key data, so that the
// replica keeps a (and the Identity the verifier built for it) when a
// re-read finds the row unchanged.
func sameRecord(a, b *apikey.Record) bool {
	return a.ID == b.ID && a.Hash == b.Hash && a.Subject == b.Subject &&
		slices.Equal(a.Scopes, b.Scopes) && a.Environment == b.Environment &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) && a.Revoked.Equal(b.Revoked)
}

// plausibleID reports whether id could be stored (Record.Validate's id
// rule: 1 to 64 characters A-Z a-z 0-9 _.~:-). Anything else is not in the
// table, and is answered without a query.
func plausibleID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '~' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}
