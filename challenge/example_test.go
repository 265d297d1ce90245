package challenge_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/authgate/authgate/challenge"
)

func ExampleBasic() {
	c, err := challenge.Basic(`Admin area "v2"`)
	if err != nil {
		panic(err)
	}
	s, _ := c.Format()
	fmt.Println(s)
	// Output:
	// Basic realm="Admin area \"v2\"", charset="UTF-8"
}

func ExampleBearer() {
	// The challenge for a request without credentials: no error (RFC 6750
	// §3.1), and the RFC 9728 metadata URL for clients that discover.
	c, err := challenge.Bearer(challenge.BearerParams{
		Realm:            "api",
		ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource",
	})
	if err != nil {
		panic(err)
	}
	s, _ := c.Format()
	fmt.Println(s)

	// The same challenge for a rejected token.
	s, _ = c.With(
		challenge.Param{Name: "error", Value: challenge.ErrorInvalidToken},
		challenge.Param{Name: "error_description", Value: "The access token expired."},
	).Format()
	fmt.Println(s)

	// RFC 6750 §3 forbids '"' in error_description.
	_, err = challenge.Bearer(challenge.BearerParams{Realm: "api", ErrorDescription: `bad "token"`})
	fmt.Println(errors.Is(err, challenge.ErrInvalidValue))
	// Output:
	// Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"
	// Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", error="invalid_token", error_description="The access token expired."
	// true
}

func ExampleParse() {
	h := http.Header{}
	h.Add("WWW-Authenticate", `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`)
	h.Add("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)

	cs, err := challenge.Parse(h.Values("WWW-Authenticate")...)
	if err != nil {
		panic(err)
	}
	for _, c := range cs {
		realm, _ := c.Param("REALM") // names match regardless of case
		fmt.Printf("%s realm=%q bearer=%v\n", c.Scheme, realm, c.Is("bearer"))
	}
	title, _ := cs[0].Param("title")
	fmt.Println(title)

	_, err = challenge.Parse(`Basic realm="a", realm="b"`)
	var pe *challenge.ParseError
	fmt.Println(errors.Is(err, challenge.ErrDuplicateParam), errors.As(err, &pe) && pe.Offset == 17)
	fmt.Println(err)
	// Output:
	// Newauth realm="apps" bearer=false
	// Basic realm="simple" bearer=false
	// Bearer realm="api" bearer=true
	// Login to "apps"
	// true true
	// challenge: duplicate auth-param: parameter "realm" repeated in one challenge at byte 17 of field 0
}

func ExampleChallenge_Format() {
	c := challenge.Challenge{
		Scheme: "ApiKey",
		Params: []challenge.Param{{Name: "realm", Value: `keys for "orders"`}, {Name: "header", Value: "X-API-Key"}},
	}
	s, err := c.Format()
	fmt.Println(s, err)

	// A value that would split the header line is refused, never written.
	c.Params[0].Value = "orders\r\nSet-Cookie: session=stolen"
	s, err = c.Format()
	fmt.Printf("%q %v\n", s, errors.Is(err, challenge.ErrInvalidValue))
	// Output:
	// ApiKey realm="keys for \"orders\"", header="X-API-Key" <nil>
	// "" true
}

func ExampleParseCredentials() {
	c, err := challenge.ParseCredentials("basic dXNlcjpwYXNz")
	fmt.Println(c.Is("Basic"), c.Token68, err)

	// Trailing data is refused, and the error never quotes the input.
	_, err = challenge.ParseCredentials("Bearer abc def")
	fmt.Println(err)
	// Output:
	// true dXNlcjpwYXNz <nil>
	// challenge: syntax error: unexpected character after token68 at byte 11 of field 0
}
