package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

// The DPoP end-to-end test: oidc-provider (its DPoP feature is on by
// default in v9) binds access tokens to a key, and proofs come from an
// independent implementation, panva's jose, driven by dpop-client.mjs.
// authgate's DPoP verifier must accept what they make and refuse each
// kind of misuse.

// dpopClient drives testdata/oidc-provider/dpop-client.mjs.
type dpopClient struct {
	in  io.WriteCloser
	out *bufio.Scanner
}

type proofCmd struct {
	Key       string `json:"key,omitempty"`
	HTM       string `json:"htm"`
	HTU       string `json:"htu"`
	Token     string `json:"token,omitempty"`
	Nonce     string `json:"nonce,omitempty"`
	IATOffset int    `json:"iatOffset,omitempty"`
}

func startDPoPClient(t *testing.T) *dpopClient {
	t.Helper()
	cmd := exec.Command("node", "dpop-client.mjs")
	cmd.Dir = providerDir
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &authgatetest.Log{}
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v", err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return &dpopClient{in: in, out: bufio.NewScanner(out)}
}

// proof returns a proof made by jose, and its key's thumbprint.
func (c *dpopClient) proof(t *testing.T, cmd proofCmd) (proof, jkt string) {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.in.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	if !c.out.Scan() {
		t.Fatalf("dpop-client.mjs gave no answer: %v", c.out.Err())
	}
	var r struct{ Proof, JKT string }
	if err := json.Unmarshal(c.out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r.Proof, r.JKT
}

// dpopToken gets a DPoP-bound access token from the provider: the
// client_credentials grant with a proof for the token endpoint.
func dpopToken(t *testing.T, c *dpopClient, issuer string) (token, jkt string) {
	t.Helper()
	proof, jkt := c.proof(t, proofCmd{HTM: "POST", HTU: issuer + "/token"})
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {apiResource}, "scope": {"orders:read"}}
	req, _ := http.NewRequest("POST", issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	req.SetBasicAuth("svc", "svc-secret-for-tests-only")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || resp.StatusCode != 200 || tr.TokenType != "DPoP" {
		t.Fatalf("DPoP token request: %d %s", resp.StatusCode, b)
	}
	return tr.AccessToken, jkt
}

// dpopServer serves /v1/me behind a gate with the DPoP and Bearer
// verifiers of one Verifier, and returns its URL and the gate's log.
func dpopServer(t *testing.T, issuer string, o bearer.DPoPOptions) (string, *authgatetest.Log) {
	t.Helper()
	v, err := bearer.New(context.Background(), apiResource, []bearer.Issuer{{URL: issuer, Keys: bearer.Discovery()}},
		bearer.WithDPoP(o), bearer.WithLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	lb := &authgatetest.Log{}
	g := middleware.New(middleware.WithLogger(lb.Logger()), middleware.WithLogSampling(0, 0))
	srv := httptest.NewServer(v.DPoP().Nonces(g.Require(v.DPoP(), v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		_, _ = io.WriteString(w, id.Subject+" "+id.Scheme)
	}))))
	t.Cleanup(srv.Close)
	return srv.URL, lb
}

func TestDPoPEndToEnd(t *testing.T) {
	issuer := startProvider(t)
	c := startDPoPClient(t)
	token, jkt := dpopToken(t, c, issuer)
	base, log := dpopServer(t, issuer, bearer.DPoPOptions{})
	me := base + "/v1/me"
	send := func(method, scheme, proof string) reply {
		hdr := []string{"Authorization", scheme + " " + token}
		if proof != "" {
			hdr = append(hdr, "DPoP", proof)
		}
		return do(t, method, me, hdr...)
	}
	mk := func(cmd proofCmd) string { p, _ := c.proof(t, cmd); return p }
	lastReason := func() string {
		evs := log.Events(t)
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i]["message"] == authgatetest.RefusalMessage {
				return evs[i]["reason"].(string)
			}
		}
		return ""
	}

	good := mk(proofCmd{HTM: "GET", HTU: me, Token: token})
	if r := send("GET", "DPoP", good); r.status != 200 || r.body != "svc DPoP" {
		t.Fatalf("success: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name   string
		method string
		scheme string
		proof  string
		reason string
	}{
		{"replayed_proof", "GET", "DPoP", good, "dpop_proof_replayed"},
		{"wrong_htu", "GET", "DPoP", mk(proofCmd{HTM: "GET", HTU: base + "/v1/orders", Token: token}), "dpop_proof_mismatch"},
		{"wrong_method", "POST", "DPoP", mk(proofCmd{HTM: "GET", HTU: me, Token: token}), "dpop_proof_mismatch"},
		{"stale_iat", "GET", "DPoP", mk(proofCmd{HTM: "GET", HTU: me, Token: token, IATOffset: -600}), "dpop_proof_stale"},
		{"future_iat", "GET", "DPoP", mk(proofCmd{HTM: "GET", HTU: me, Token: token, IATOffset: 600}), "dpop_proof_stale"},
		{"other_key", "GET", "DPoP", mk(proofCmd{Key: "other", HTM: "GET", HTU: me, Token: token}), "dpop_key_mismatch"},
		{"missing_ath", "GET", "DPoP", mk(proofCmd{HTM: "GET", HTU: me}), "dpop_ath_mismatch"},
		{"bound_token_as_bearer", "GET", "Bearer", "", "dpop_bound_token_as_bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(tc.method, tc.scheme, tc.proof)
			if r.status != 401 || lastReason() != tc.reason {
				t.Fatalf("%d, logged %s, want 401 %s; %s", r.status, lastReason(), tc.reason, r.body)
			}
			want := `DPoP realm="api", algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"`
			if tc.scheme == "DPoP" {
				want += `, error="invalid_dpop_proof"`
			}
			if len(r.challenges) != 2 || !strings.HasPrefix(r.challenges[0], want) {
				t.Errorf("challenges %q", r.challenges)
			}
		})
	}
	if raw := log.String(); strings.Contains(raw, token) || strings.Contains(raw, good) || !strings.Contains(raw, jkt) {
		t.Error("the log holds the token or a proof, or lacks the jkt")
	}

	t.Run("nonce_required_then_supplied", func(t *testing.T) {
		nonces, err := bearer.NewDPoPNonces(nil, time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		base, log := dpopServer(t, issuer, bearer.DPoPOptions{Nonces: nonces})
		me := base + "/v1/me"
		r := do(t, "GET", me, "Authorization", "DPoP "+token, "DPoP", mk(proofCmd{HTM: "GET", HTU: me, Token: token}))
		n := r.header.Get("DPoP-Nonce")
		if r.status != 401 || n == "" || !strings.Contains(r.challenges[0], `error="use_dpop_nonce"`) || !strings.Contains(log.String(), `"reason":"dpop_nonce_required"`) {
			t.Fatalf("without nonce: %d %q nonce %q", r.status, r.challenges, n)
		}
		r = do(t, "GET", me, "Authorization", "DPoP "+token, "DPoP", mk(proofCmd{HTM: "GET", HTU: me, Token: token, Nonce: n}))
		if r.status != 200 || r.header.Get("DPoP-Nonce") == "" {
			t.Fatalf("with nonce: %d %s", r.status, r.body)
		}
	})
}
