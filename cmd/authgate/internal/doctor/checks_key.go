package doctor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/authgate/authgate/verifiers/apikey"
)

// The API key and Basic checks.

func (d *diagnosis) apiKeyCred() *credential {
	for _, c := range d.creds {
		if c.Kind == kindAPIKey {
			return c
		}
	}
	return nil
}

func (d *diagnosis) checkAPIKey() {
	c := d.apiKeyCred()
	switch {
	case c == nil:
		d.check("apikey", "API key checksum and environment", NotApplicable, "no key in authgate's format ("+apikey.DefaultPrefix+"_<environment>_...) on the request")
	case errors.Is(c.KeyErr, apikey.ErrChecksum):
		d.check("apikey", "API key checksum and environment", Fail, "the key's checksum does not match: a character was mistyped, dropped or added when it was copied ("+c.KeyErr.Error()+")")
	case c.KeyErr != nil:
		d.check("apikey", "API key checksum and environment", Fail, "the key does not parse: "+c.KeyErr.Error())
	default:
		d.check("apikey", "API key checksum and environment", Pass, fmt.Sprintf("checksum valid; id %s; environment tag %q", c.Key.ID(), c.Key.Environment()))
	}
}

func (d *diagnosis) checkBasic() {
	for _, c := range d.creds {
		if c.Kind != kindBasic {
			continue
		}
		if c.UserShown == "" {
			d.check("basic", "Basic credentials", Fail, "the credentials do not decode to user:password")
			return
		}
		r, ev := Pass, "user "+c.UserShown+", a colon, standard base64, UTF-8 (the password is not shown)"
		if len(c.Faults) > 0 {
			r, ev = Fail, "user "+c.UserShown+": "+strings.Join(c.Faults, "; ")
		}
		d.check("basic", "Basic credentials", r, ev)
		return
	}
	d.check("basic", "Basic credentials", NotApplicable, "no Basic credentials on the request")
}
