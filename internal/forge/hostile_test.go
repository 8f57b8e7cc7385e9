package forge_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
)

func TestVerifyRejectsAPIBaseURLTricks(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)

	rejected := []string{
		"https://api.atlassian.com.evil.example/ex/jira/c",
		"https://evil.example#@api.atlassian.com/ex/jira/c",
		"https://evil.example?@api.atlassian.com/ex/jira/c",
		"https://api.atlassian.com@evil.example/ex/jira/c",
		"https://api.atlassian.com:443@evil.example/ex/jira/c",
		`https://api.atlassian.com\@evil.example/ex/jira/c`,
		"https://evil.example\\.api.atlassian.com/ex/jira/c",
		"https://evil.example/api.atlassian.com",
		"https://api.atlassian.com%2F@evil.example/",
		"https://api.atlassian.com./ex/jira/c",
		"https://127.0.0.1/ex/jira/c",
		"https://169.254.169.254/latest/meta-data",
		"https://[::1]/ex/jira/c",
		"//api.atlassian.com/ex/jira/c",
		"https:api.atlassian.com/ex/jira/c",
		"ftp://api.atlassian.com/ex/jira/c",
		"file:///etc/passwd",
		"https://api.atlassian.com/ex/jira/c?x=1",
		"https://api.atlassian.com/ex/jira/c#frag",
		" https://api.atlassian.com/ex/jira/c",
		"https://api.atlassian.com\n.evil.example/",
	}
	for _, base := range rejected {
		t.Run(base, func(t *testing.T) {
			inv := viewerInvocation()
			inv.APIBaseURL = base

			_, err := v.Verify(t.Context(), issuer.Token(t, inv, testNow))

			assert.ErrorIs(t, err, forge.ErrInvalidToken)
		})
	}
}

func TestVerifyRejectsKeyConfusion(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	claims := forgetest.Claims(viewerInvocation(), testNow)
	sign := func(method jwt.SigningMethod, header map[string]any, key any) string {
		token := jwt.NewWithClaims(method, claims)
		for k, value := range header {
			token.Header[k] = value
		}
		signed, err := token.SignedString(key)
		require.NoError(t, err)
		return signed
	}
	attackerJWK := map[string]any{
		"kty": "RSA", "kid": issuer.KID,
		"n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(attacker.E)).Bytes()),
	}

	cases := map[string]string{
		"embedded jwk":               sign(jwt.SigningMethodRS256, map[string]any{"kid": issuer.KID, "jwk": attackerJWK}, attacker),
		"jku to another JWKS":        sign(jwt.SigningMethodRS256, map[string]any{"kid": "attacker", "jku": "http://127.0.0.1:1/jwks.json"}, attacker),
		"no kid":                     sign(jwt.SigningMethodRS256, map[string]any{"kid": nil}, attacker),
		"kid with path":              sign(jwt.SigningMethodRS256, map[string]any{"kid": "../../" + issuer.KID}, attacker),
		"RS512 with the right key":   sign(jwt.SigningMethodRS512, map[string]any{"kid": issuer.KID}, issuer.Key),
		"PS256 with the right key":   sign(jwt.SigningMethodPS256, map[string]any{"kid": issuer.KID}, issuer.Key),
		"alg none without signature": strings.TrimRight(sign(jwt.SigningMethodNone, map[string]any{"kid": issuer.KID}, jwt.UnsafeAllowNoneSignatureType), "."),
		"oversized token":            sign(jwt.SigningMethodRS256, map[string]any{"kid": issuer.KID, "pad": strings.Repeat("a", forge.MaxTokenBytes)}, issuer.Key),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), token)

			assert.ErrorIs(t, err, forge.ErrInvalidToken)
		})
	}
}
