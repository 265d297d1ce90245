package apikey_test

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// FuzzParseKey checks ParseKey on any input: it never panics; a key it
// accepts has exactly the documented format with a valid checksum, and
// changing any one character of it is detected; a key it rejects gets one
// of the three documented errors, whose text holds no byte of the key
// (error texts are fixed lowercase words and numbers, so an uppercase
// letter or a non-ASCII byte would come from the key). Seeds are in
// testdata/fuzz/FuzzParseKey.
func FuzzParseKey(f *testing.F) {
	f.Add("ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf")
	f.Add("ak_test_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgg")
	f.Add("ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3Nm")
	f.Add("ak___")
	f.Add("ak_")
	f.Add("")
	f.Add("sk_live_51H8")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := apikey.ParseKey(key, "ak")
		if err == nil {
			checkAccepted(t, key, k)
			return
		}
		switch {
		case errors.Is(err, apikey.ErrForeignKey):
			if strings.HasPrefix(key, "ak_") {
				t.Fatalf("key with the prefix reported foreign")
			}
			return
		case errors.Is(err, apikey.ErrMalformed), errors.Is(err, apikey.ErrChecksum):
			if !strings.HasPrefix(key, "ak_") {
				t.Fatalf("key without the prefix not reported foreign: %v", err)
			}
		default:
			t.Fatalf("undocumented error %v", err)
		}
		if k.Reveal() != "" {
			t.Fatal("a rejected key was returned")
		}
		msg := err.Error()
		if len(msg) > 400 {
			t.Fatalf("error of %d bytes", len(msg))
		}
		for i := 0; i < len(msg); i++ {
			if c := msg[i]; c >= 'A' && c <= 'Z' || c < 0x20 || c >= 0x7f {
				t.Fatalf("I2 error holds byte %q, which can only come from the key: %s", c, msg)
			}
		}
	})
}

func checkAccepted(t *testing.T, key string, k apikey.Key) {
	t.Helper()
	if k.Reveal() != key || k.Prefix() != "ak" {
		t.Fatalf("Reveal/Prefix differ from the input")
	}
	head := "ak_" + k.Environment() + "_" + k.ID() + "_"
	if !strings.HasPrefix(key, head) || len(key) != len(head)+apikey.SecretLength+apikey.ChecksumLength {
		t.Fatalf("accepted key does not have the format")
	}
	if len(k.ID()) != apikey.IDLength || k.Environment() == "" || len(k.Environment()) > 16 {
		t.Fatalf("accepted key has part lengths env %d id %d", len(k.Environment()), len(k.ID()))
	}
	for i := 3; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			t.Fatalf("accepted key has byte %q", c)
		}
	}
	if sum := key[len(key)-apikey.ChecksumLength:]; apikey.ChecksumForTest(key[:len(key)-apikey.ChecksumLength]) != sum {
		t.Fatalf("accepted key with a wrong checksum")
	}
	// Any single-character change in the id, secret or checksum is caught.
	i := len(head) - 1 - apikey.IDLength + int(key[len(key)-1])%(apikey.IDLength+1+apikey.SecretLength+apikey.ChecksumLength)
	if key[i] == '_' {
		return
	}
	c := byte('x')
	if key[i] == c {
		c = 'y'
	}
	if _, err := apikey.ParseKey(key[:i]+string(c)+key[i+1:], "ak"); err == nil {
		t.Fatalf("change at byte %d not detected", i)
	}
}

// FuzzVerify sends any value through Verify, in the header and in the
// query string: it never panics, never returns both or neither of an
// identity and an error, and rejects with a reason of the API key set.
func FuzzVerify(f *testing.F) {
	f.Add("ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf", "api_key=ak_live_x")
	f.Add("", "api_key=%zz&api_key=")
	f.Add("legacy", "a%5Fkey=1&api%5Fkey=2")
	store, _ := apikey.NewMemoryStore()
	v, err := apikey.New(store, apikey.WithEnvironment("live"), apikey.WithHeader("X-API-Key"), apikey.WithQuery("api_key"))
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[verifiers.Reason]bool{
		verifiers.RequestMalformed: true, verifiers.CredentialsTooLarge: true, verifiers.CredentialsMalformed: true,
		verifiers.APIKeyChecksumInvalid: true, verifiers.APIKeyWrongEnv: true, verifiers.APIKeyUnknown: true,
	}
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		if header != "" {
			r.Header["X-Api-Key"] = []string{header}
		}
		id, err := v.Verify(r)
		if (id == nil) == (err == nil) {
			t.Fatalf("Verify = %v, %v", id, err)
		}
		var rej *verifiers.Rejection
		if err != nil && !errors.Is(err, verifiers.ErrNoCredentials) && (!errors.As(err, &rej) || !allowed[rej.Reason]) {
			t.Fatalf("unexpected outcome %v", err)
		}
	})
}

// FuzzQueryAsParseQuery checks that the verifier finds the query
// parameter exactly where the handler's r.URL.Query() (url.ParseQuery)
// finds it, however its name is escaped (api%5Fkey, %61pi_key): when the
// handler sees one value, the verifier reads that value or refuses the
// request; when it sees several, the verifier refuses; the verifier never
// reads a value the handler does not see, and never misses one it does.
func FuzzQueryAsParseQuery(f *testing.F) {
	for _, q := range []string{
		"api_key=K", "api%5Fkey=K", "api%5fkey=K", "%61pi_key=K", "api_key=A&api%5Fkey=B",
		"api_key=K;x=1", "x=1;api_key=K", "api_key=%zz&api_key=K", "api%zzkey=K", "api_key", "&&api_key=K&",
		"api_key=a+b%20c", "api+key=K", "api_key=K&api_key=", "api%5Fkey",
	} {
		f.Add(q)
	}
	store, _ := apikey.NewMemoryStore()
	v, err := apikey.New(store, apikey.WithQuery("api_key"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		handler := r.URL.Query()["api_key"]
		val, n, err := apikey.QueryValueForTest(v, r)
		refused := err != nil || n > 1
		switch {
		case len(handler) > 1 && !refused:
			t.Fatalf("the handler sees %d values, the verifier %d and no error", len(handler), n)
		case len(handler) == 1 && !refused && (n != 1 || val != handler[0]):
			t.Fatalf("the handler sees %q, the verifier %d values, first %q", handler[0], n, val)
		case len(handler) == 0 && n > 0 && !refused:
			t.Fatalf("the verifier reads %q, which the handler does not see", val)
		}
	})
}

// FuzzBasicUser sends any Authorization value to a verifier reading the
// key from the Basic user name: it never panics, answers exactly one of
// an identity and an error, rejects with a reason of the API key set,
// and no detail or hint holds the decoded user name or password when
// they are long enough to be secrets.
func FuzzBasicUser(f *testing.F) {
	for _, s := range []string{
		"Basic " + base64.StdEncoding.EncodeToString([]byte("ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf:")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(":ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("legacy-key-0123456789:\n")),
		"Basic " + base64.RawStdEncoding.EncodeToString([]byte("abc:")),
		"Basic", "basic !!", "Basic Og==", "Bearer x",
	} {
		f.Add(s)
	}
	store, _ := apikey.NewMemoryStore()
	v, err := apikey.New(store, apikey.WithEnvironment("live"), apikey.WithBasicUser())
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[verifiers.Reason]bool{
		verifiers.RequestMalformed: true, verifiers.CredentialsTooLarge: true, verifiers.CredentialsMalformed: true,
		verifiers.APIKeyChecksumInvalid: true, verifiers.APIKeyWrongEnv: true, verifiers.APIKeyUnknown: true,
	}
	f.Fuzz(func(t *testing.T, auth string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{auth}
		id, err := v.Verify(r)
		if (id == nil) == (err == nil) {
			t.Fatalf("Verify = %v, %v", id, err)
		}
		_, _ = v.ClaimedPrincipal(r)
		if errors.Is(err, verifiers.ErrNoCredentials) {
			return
		}
		var rej *verifiers.Rejection
		if !errors.As(err, &rej) || !allowed[rej.Reason] {
			t.Fatalf("unexpected outcome %v", err)
		}
		_, cred := verifiers.SplitAuthorization(auth)
		raw, derr := base64.StdEncoding.DecodeString(cred)
		if derr != nil {
			return
		}
		text := rej.Detail + " " + rej.Hint
		for _, a := range rej.Attrs {
			if a.Key != verifiers.AttrKeyID {
				text += " " + a.Value
			}
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		for _, secret := range []string{user, pass} {
			if keyLike(secret) && strings.Contains(text, secret) {
				t.Fatalf("the rejection holds a part of the credentials: %q", text)
			}
		}
	})
}

// keyLike reports whether s looks like a secret rather than a piece of
// the verifier's own wording: at least 16 bytes, no space, and upper
// case, lower case and digits mixed, which no run of the fixed texts is.
func keyLike(s string) bool {
	if len(s) < 16 || strings.ContainsAny(s, " \t") {
		return false
	}
	return strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "0123456789")
}
