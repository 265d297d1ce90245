package pgstore

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/authgate/authgate/verifiers/apikey"
)

// columns are the columns of a record, in scanRecord's order.
const columns = "id, hash, subject, scopes, environment, created, expires, revoked"

// scanRecord reads one row of columns into a validated record. It scans
// into types that hold every value the table's checks allow (a NULL
// among the scopes, an infinite timestamp), so that one odd row is an
// invalid record, skipped, and never a scan error: pgx ends the whole
// read at a scan error, which would fail Open and every re-read of the
// table because of one row.
func scanRecord(row pgx.Row) (*apikey.Record, error) {
	var (
		r                         apikey.Record
		hash                      []byte
		scopes                    []pgtype.Text
		created, expires, revoked pgtype.Timestamptz
	)
	if err := row.Scan(&r.ID, &hash, &r.Subject, &scopes, &r.Environment, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	if len(hash) != sha256.Size {
		return nil, fmt.Errorf("%w: key %s: hash is %d bytes, want %d", apikey.ErrInvalidRecord, r.ID, len(hash), sha256.Size)
	}
	copy(r.Hash[:], hash)
	for i, sc := range scopes {
		if !sc.Valid {
			return nil, fmt.Errorf("%w: key %s: scope %d is NULL", apikey.ErrInvalidRecord, r.ID, i+1)
		}
		r.Scopes = append(r.Scopes, sc.String)
	}
	// created is informational: an infinite one is none. expires and
	// revoked 'infinity' never come; '-infinity' came long ago.
	r.Created = utc(created, time.Time{}, time.Time{})
	r.Expires = utc(expires, longAgo, time.Time{})
	r.Revoked = utc(revoked, longAgo, time.Time{})
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// longAgo stands for a timestamp of '-infinity': a time already past for
// any clock.
var longAgo = time.Unix(0, 0).UTC()

// utc returns t in UTC, neg for '-infinity', pos for 'infinity', and the
// zero time for NULL.
func utc(t pgtype.Timestamptz, neg, pos time.Time) time.Time {
	switch {
	case !t.Valid:
		return time.Time{}
	case t.InfinityModifier == pgtype.NegativeInfinity:
		return neg
	case t.InfinityModifier == pgtype.Infinity:
		return pos
	}
	return t.Time.UTC()
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
