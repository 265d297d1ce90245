package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

const keysUsage = `Usage: authgate keys <create|revoke|list|rotate|migrate> [flags] [ID]

Manages API keys in a key file (--file) or in PostgreSQL (--postgres, or
the environment variable AUTHGATE_POSTGRES), the two stores the apikey
verifier and pgstore serve. A key's secret is printed once, by create and
rotate, on standard output and alone on its line, so that
KEY=$(authgate keys create ...) captures it; everything else goes to
standard error, and no command ever prints a secret again, nor a hash.

  create  --subject S [--scopes a,b] [--environment live] [--expires-in D | --expires T]
          a new key; prints the key, then only its id
  revoke  ID [--at T]
          revokes the key ID now, or at T (a time in the future schedules it);
          an earlier revocation is kept. ID may be the whole key: only its id is used
  list    [--json]
          ids, subjects, scopes, environments and states (active, expiring at T,
          revoking at T, expired at T, revoked at T), oldest first; never a hash
          or a secret. --json prints an array of {id, subject, scopes,
          environment ("" for any), created, expires, revoked, state (active,
          expiring, revoking, expired, revoked), state_at}, times in RFC 3339,
          absent ones left out
  rotate  ID [--expire-old-in D | --at T] [--expires-in D | --expires T]
          a new key for the same subject, scopes and environment; prints it, and
          the old key's expiry (24h from now unless given; an earlier one is kept)
  migrate creates the table (PostgreSQL) or an empty key file (--file)

With --file the file is rewritten whole (a temporary file renamed over it,
with the same mode), under a lock, so two commands never lose each other's
change; a server reading the file picks the change up on SIGHUP. With
--postgres every server on the database sees the change within a second.
The connection string is a PostgreSQL URL or keyword/value string; give a
password through PGPASSWORD (or the URL, which others may see in the
process list): it is never printed. Times are RFC 3339
(2026-12-24T18:00:00Z); durations are Go's (90m, 24h, 720h).

Exit status: 0 done; 1 the command failed (store unreachable, no such
key, ...); 2 usage error.

Flags:
`

// keysOp is one keys subcommand's entry point.
type keysOp func(ctx context.Context, e env, kf *keysFlags, s keyStore) error

var keysOps = map[string]keysOp{
	"create":  keysCreate,
	"revoke":  keysRevoke,
	"list":    keysList,
	"rotate":  keysRotate,
	"migrate": keysMigrate,
}

// keysFlags is the command line of a keys subcommand.
type keysFlags struct {
	op, file, postgres, schema string
	subject, scopes, env       string
	prefix                     string
	expiresIn                  time.Duration
	expires, at                string
	expireOldIn                time.Duration
	json                       bool
	id                         string // the positional argument of revoke and rotate
	now                        time.Time
	// parsed times: zero when not given
	expiresAt, atTime time.Time
}

// keysUsageErr is a bad command line: exit status 2.
type keysUsageErr struct{ msg string }

func (e *keysUsageErr) Error() string { return e.msg }

func runKeys(ctx context.Context, e env, args []string) int {
	kf, err := parseKeys(args, e.stderr, e.getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	name := "authgate keys"
	if kf != nil && kf.op != "" {
		name += " " + kf.op
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		fmt.Fprintln(e.stderr, `Run "authgate keys -h" for usage.`)
		return 2
	}
	s, err := openKeyStore(ctx, kf)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return 1
	}
	defer s.close()
	if err := keysOps[kf.op](ctx, e, kf, s); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		var ue *keysUsageErr
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// parseKeys reads the command line; flags may come before or after the
// subcommand's argument.
func parseKeys(args []string, stderr io.Writer, getenv func(string) string) (*keysFlags, error) {
	kf := &keysFlags{}
	fs := flag.NewFlagSet("authgate keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&kf.file, "file", "", "the key `file` (created by create or migrate when missing, mode 0600)")
	fs.StringVar(&kf.postgres, "postgres", "", "PostgreSQL connection `string` (default $AUTHGATE_POSTGRES); the password from PGPASSWORD or the URL")
	fs.StringVar(&kf.schema, "schema", pgstore.DefaultSchema, "PostgreSQL `schema` of the key table")
	fs.StringVar(&kf.subject, "subject", "", "create: the key's owner, the identity's subject (no spaces)")
	fs.StringVar(&kf.scopes, "scopes", "", "create: comma-separated `scopes`")
	fs.StringVar(&kf.env, "environment", "live", "create: the key's environment tag (a-z0-9), such as live or test")
	fs.StringVar(&kf.prefix, "prefix", apikey.DefaultPrefix, "create, rotate: the keys' product `prefix`")
	fs.DurationVar(&kf.expiresIn, "expires-in", 0, "create, rotate: the new key expires after this `duration` (default: never; rotate: the old key's lifetime)")
	fs.StringVar(&kf.expires, "expires", "", "create, rotate: the new key expires at this `time`")
	fs.StringVar(&kf.at, "at", "", "revoke: revocation `time` (default now); rotate: the old key's expiry")
	fs.DurationVar(&kf.expireOldIn, "expire-old-in", 0, "rotate: the old key expires after this `duration` (default 24h)")
	fs.BoolVar(&kf.json, "json", false, "list: print a JSON array")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), keysUsage)
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return nil, &keysUsageErr{"no subcommand given"}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fs.Usage()
		return nil, flag.ErrHelp
	}
	kf.op = args[0]
	if _, ok := keysOps[kf.op]; !ok {
		return nil, &keysUsageErr{fmt.Sprintf("unknown subcommand %q: create, revoke, list, rotate or migrate", clipArg(kf.op))}
	}
	var pos []string
	args = args[1:]
	for {
		if err := fs.Parse(args); err != nil {
			return kf, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	kf.now = time.Now().UTC().Truncate(time.Second)
	return kf, kf.check(pos, set, getenv)
}

// allowed lists the flags each subcommand takes, besides the store's.
var allowed = map[string][]string{
	"create":  {"subject", "scopes", "environment", "prefix", "expires-in", "expires"},
	"revoke":  {"at", "prefix"},
	"list":    {"json"},
	"rotate":  {"at", "expire-old-in", "expires-in", "expires", "prefix", "environment"},
	"migrate": {},
}

func (kf *keysFlags) check(pos []string, set map[string]bool, getenv func(string) string) error {
	for name := range set {
		if name == "file" || name == "postgres" || name == "schema" {
			continue
		}
		ok := false
		for _, a := range allowed[kf.op] {
			ok = ok || a == name
		}
		if !ok {
			return &keysUsageErr{fmt.Sprintf("--%s is not a flag of %s", name, kf.op)}
		}
	}
	if kf.file != "" && kf.postgres != "" {
		return &keysUsageErr{"--file and --postgres: give one store"}
	}
	if kf.file == "" && kf.postgres == "" {
		kf.postgres = getenv("AUTHGATE_POSTGRES")
	}
	if kf.file == "" && kf.postgres == "" {
		return &keysUsageErr{"no store: give --file PATH or --postgres URL (or set AUTHGATE_POSTGRES)"}
	}
	if set["schema"] && kf.file != "" {
		return &keysUsageErr{"--schema is for --postgres, not --file"}
	}
	switch kf.op {
	case "revoke", "rotate":
		if len(pos) != 1 {
			return &keysUsageErr{fmt.Sprintf("%s takes one key id, got %d arguments", kf.op, len(pos))}
		}
		id, err := keyID(pos[0], kf.prefix)
		if err != nil {
			return &keysUsageErr{err.Error()}
		}
		kf.id = id
	default:
		if len(pos) != 0 {
			return &keysUsageErr{fmt.Sprintf("%s takes no argument, got %d", kf.op, len(pos))}
		}
	}
	if kf.op == "create" && kf.subject == "" {
		return &keysUsageErr{"--subject is required: the key's owner, such as billing-service"}
	}
	if set["expires-in"] && set["expires"] {
		return &keysUsageErr{"--expires-in and --expires: give one"}
	}
	if set["expires-in"] && kf.expiresIn <= 0 {
		return &keysUsageErr{fmt.Sprintf("--expires-in: %s is not positive", kf.expiresIn)}
	}
	if set["expire-old-in"] && set["at"] {
		return &keysUsageErr{"--expire-old-in and --at: give one"}
	}
	if set["expire-old-in"] && kf.expireOldIn < 0 {
		return &keysUsageErr{fmt.Sprintf("--expire-old-in: %s is negative", kf.expireOldIn)}
	}
	var err error
	if kf.expires != "" {
		if kf.expiresAt, err = parseTime("--expires", kf.expires); err != nil {
			return err
		}
		if !kf.expiresAt.After(kf.now) {
			return &keysUsageErr{fmt.Sprintf("--expires: %s is not in the future", kf.expires)}
		}
	}
	if set["expires-in"] {
		kf.expiresAt = kf.now.Add(kf.expiresIn)
	}
	if kf.at != "" {
		if kf.atTime, err = parseTime("--at", kf.at); err != nil {
			return err
		}
	}
	if kf.op == "rotate" && kf.atTime.IsZero() {
		d := 24 * time.Hour
		if set["expire-old-in"] {
			d = kf.expireOldIn
		}
		kf.atTime = kf.now.Add(d)
	}
	if kf.op == "revoke" && kf.atTime.IsZero() {
		kf.atTime = kf.now
	}
	return nil
}

func parseTime(flagName, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &keysUsageErr{fmt.Sprintf("%s: %q is not an RFC 3339 time such as 2026-12-24T18:00:00Z", flagName, clipArg(v))}
	}
	return t.UTC(), nil
}

// keyID returns the key id named by arg: arg itself when it is an id, or
// the id part of a whole key (which is never quoted back).
func keyID(arg, prefix string) (string, error) {
	if k, err := apikey.ParseKey(arg, prefix); err == nil {
		return k.ID(), nil
	}
	if strings.HasPrefix(arg, prefix+"_") && strings.Count(arg, "_") >= 3 {
		// Shaped like a key, but not one: it may still be a mistyped
		// secret, so say nothing of it but its length.
		return "", fmt.Errorf("the argument (%d characters) looks like an API key but does not parse as one; give the key's id (authgate keys list shows them)", len(arg))
	}
	probe := &apikey.Record{ID: arg, Hash: [32]byte{1}, Subject: "x"}
	if err := probe.Validate(); err != nil {
		return "", fmt.Errorf("the argument (%d characters) is not a key id: %s", len(arg), strings.TrimPrefix(err.Error(), apikey.ErrInvalidRecord.Error()+": "))
	}
	return arg, nil
}

// clipArg bounds a command-line value quoted in an error.
func clipArg(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// getenv is os.Getenv unless a test set env.getenv.
func (e env) getenv(name string) string {
	if e.lookupEnv != nil {
		return e.lookupEnv(name)
	}
	return os.Getenv(name)
}
