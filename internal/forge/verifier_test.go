package forge_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
)

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const testAPIBase = "https://api.atlassian.com/ex/jira/cloud-a"

func newVerifier(t *testing.T, issuer *forgetest.Issuer, logs *bytes.Buffer) *forge.Verifier {
	t.Helper()
	v, err := forge.NewVerifier(t.Context(), forge.Options{
		AppID:   forgetest.AppID,
		JWKSURL: issuer.JWKSURL(),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		Now:     func() time.Time { return testNow },
	})
	require.NoError(t, err)
	return v
}

func viewerInvocation() forgetest.Invocation {
	return forgetest.Invocation{
		InstallationID:      "install-a",
		APIBaseURL:          testAPIBase,
		CloudID:             "cloud-a",
		AccountID:           "account-1",
		ModuleKey:           "dora-metrics-gadget",
		GadgetConfiguration: map[string]any{"project": "10000", "window": "30"},
	}
}

func TestVerifyAcceptsValidToken(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)

	inv, err := v.Verify(t.Context(), issuer.Token(t, viewerInvocation(), testNow))
	require.NoError(t, err)

	assert.Equal(t, "install-a", inv.InstallationID)
	assert.Equal(t, testAPIBase, inv.APIBaseURL)
	assert.Equal(t, "cloud-a", inv.CloudID)
	assert.Equal(t, "account-1", inv.AccountID)
	assert.Equal(t, "dora-metrics-gadget", inv.ModuleKey)
	assert.JSONEq(t, `{"project":"10000","window":"30"}`, string(inv.GadgetConfiguration))
	assert.WithinDuration(t, testNow.Add(25*time.Second), inv.ExpiresAt, 0)
}

func TestVerifyDerivesCloudIDFromAPIBaseURL(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)
	trigger := forgetest.Invocation{InstallationID: "install-a", APIBaseURL: testAPIBase}

	inv, err := v.Verify(t.Context(), issuer.Token(t, trigger, testNow))
	require.NoError(t, err)

	assert.Equal(t, "cloud-a", inv.CloudID)
	assert.Empty(t, inv.AccountID)
	assert.Nil(t, inv.GadgetConfiguration)
}

func TestVerifyRejectsBadTokens(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	valid := func() jwt.MapClaims { return forgetest.Claims(viewerInvocation(), testNow) }
	with := func(key string, value any) jwt.MapClaims {
		claims := valid()
		claims[key] = value
		return claims
	}
	withApp := func(key string, value any) jwt.MapClaims {
		claims := valid()
		claims["app"].(map[string]any)[key] = value
		return claims
	}

	cases := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"bad signature", func(t *testing.T) string {
			token := jwt.NewWithClaims(jwt.SigningMethodRS256, valid())
			token.Header["kid"] = issuer.KID
			signed, err := token.SignedString(otherKey)
			require.NoError(t, err)
			return signed
		}},
		{"tampered payload", func(t *testing.T) string {
			good := issuer.Sign(t, valid())
			evil := issuer.Sign(t, with("principal", "admin-account"))
			return headerOf(good) + "." + payloadOf(evil) + "." + signatureOf(good)
		}},
		{"unknown kid", func(t *testing.T) string { return issuer.SignWithKID(t, valid(), "no-such-key") }},
		{"expired", func(t *testing.T) string { return issuer.Sign(t, with("exp", testNow.Add(-time.Minute).Unix())) }},
		{"missing exp", func(t *testing.T) string {
			claims := valid()
			delete(claims, "exp")
			return issuer.Sign(t, claims)
		}},
		{"not yet valid", func(t *testing.T) string { return issuer.Sign(t, with("nbf", testNow.Add(time.Minute).Unix())) }},
		{"issued in the future", func(t *testing.T) string { return issuer.Sign(t, with("iat", testNow.Add(time.Minute).Unix())) }},
		{"wrong aud", func(t *testing.T) string { return issuer.Sign(t, with("aud", "ari:cloud:ecosystem::app/someone-else")) }},
		{"wrong iss", func(t *testing.T) string { return issuer.Sign(t, with("iss", "forge/something-else")) }},
		{"alg none", func(t *testing.T) string {
			token := jwt.NewWithClaims(jwt.SigningMethodNone, valid())
			token.Header["kid"] = issuer.KID
			signed, err := token.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return signed
		}},
		{"HS256 signed with the public key", func(t *testing.T) string {
			der, err := x509.MarshalPKIXPublicKey(&issuer.Key.PublicKey)
			require.NoError(t, err)
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			token := jwt.NewWithClaims(jwt.SigningMethodHS256, valid())
			token.Header["kid"] = issuer.KID
			signed, err := token.SignedString(pemKey)
			require.NoError(t, err)
			return signed
		}},
		{"missing installation", func(t *testing.T) string {
			claims := valid()
			delete(claims["app"].(map[string]any), "installationId")
			return issuer.Sign(t, claims)
		}},
		{"apiBaseUrl on another host", func(t *testing.T) string {
			return issuer.Sign(t, withApp("apiBaseUrl", "https://evil.example.com/ex/jira/cloud-a"))
		}},
		{"apiBaseUrl over http", func(t *testing.T) string {
			return issuer.Sign(t, withApp("apiBaseUrl", "http://api.atlassian.com/ex/jira/cloud-a"))
		}},
		{"installation of the wrong type", func(t *testing.T) string { return issuer.Sign(t, withApp("installationId", 42)) }},
		{"not a JWT", func(t *testing.T) string { return "not-a-token" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			v := newVerifier(t, issuer, &logs)
			token := tc.token(t)

			_, err := v.Verify(t.Context(), token)

			require.Error(t, err)
			assert.ErrorIs(t, err, forge.ErrInvalidToken)
			assert.NotContains(t, err.Error(), token)
			assert.NotContains(t, logs.String(), token)
		})
	}
}

func TestVerifyRefreshesJWKSForRotatedKey(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)
	require.Equal(t, int64(1), issuer.Fetches.Load(), "the verifier fetches the JWKS at start")

	newKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	issuer.Key, issuer.KID = newKey, "test-key-2"

	_, err = v.Verify(t.Context(), issuer.Token(t, viewerInvocation(), testNow))

	require.NoError(t, err)
	assert.Equal(t, int64(2), issuer.Fetches.Load())
}

func TestVerifyRateLimitsUnknownKIDRefresh(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)

	for range 5 {
		_, err := v.Verify(t.Context(), issuer.SignWithKID(t, forgetest.Claims(viewerInvocation(), testNow), "no-such-key"))
		require.ErrorIs(t, err, forge.ErrInvalidToken)
	}

	assert.Equal(t, int64(2), issuer.Fetches.Load(), "one fetch at start and one for the first unknown kid")
}

func TestNewVerifierRequiresAppID(t *testing.T) {
	_, err := forge.NewVerifier(context.Background(), forge.Options{JWKSURL: "http://127.0.0.1:1/jwks.json"})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "--app-id")
}

func TestNewVerifierStartsWhenJWKSIsDown(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	jwksURL := issuer.JWKSURL()
	issuer.Server.Close()
	var logs bytes.Buffer

	v, err := forge.NewVerifier(t.Context(), forge.Options{
		AppID:        forgetest.AppID,
		JWKSURL:      jwksURL,
		FetchTimeout: 2 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
		Now:          func() time.Time { return testNow },
	})
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), issuer.Token(t, viewerInvocation(), testNow))

	assert.ErrorIs(t, err, forge.ErrInvalidToken)
	assert.Contains(t, logs.String(), "jwks fetch failed")
	assert.ErrorContains(t, v.Ready(t.Context()), "no signing keys")
}

func TestVerifierReadyWithKeys(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	var logs bytes.Buffer
	v := newVerifier(t, issuer, &logs)

	assert.NoError(t, v.Ready(t.Context()))
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		header string
		token  string
		ok     bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc.def.ghi", "abc.def.ghi", true},
		{"", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearer ", "", false},
		{"Bearer", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.header, func(t *testing.T) {
			token, err := forge.BearerToken(tc.header)
			if !tc.ok {
				assert.ErrorIs(t, err, forge.ErrInvalidToken)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.token, token)
		})
	}
}

func TestInvocationLogValueOmitsTokens(t *testing.T) {
	inv := forge.Invocation{InstallationID: "install-a", AccountID: "account-1"}.WithAppTokens("user-secret", "system-secret")
	var logs bytes.Buffer

	slog.New(slog.NewJSONHandler(&logs, nil)).Info("request", "invocation", inv)

	assert.Contains(t, logs.String(), "install-a")
	assert.NotContains(t, logs.String(), "user-secret")
	assert.NotContains(t, logs.String(), "system-secret")
}

func TestInvocationContextRoundTrip(t *testing.T) {
	_, ok := forge.FromContext(context.Background())
	assert.False(t, ok)

	ctx := forge.NewContext(context.Background(), forge.Invocation{InstallationID: "install-a"})
	inv, ok := forge.FromContext(ctx)

	require.True(t, ok)
	assert.Equal(t, "install-a", inv.InstallationID)
}

func parts(token string) []string {
	out := make([]string, 3)
	start, n := 0, 0
	for i := range len(token) {
		if token[i] == '.' && n < 2 {
			out[n] = token[start:i]
			start, n = i+1, n+1
		}
	}
	out[n] = token[start:]
	return out
}

func headerOf(token string) string    { return parts(token)[0] }
func payloadOf(token string) string   { return parts(token)[1] }
func signatureOf(token string) string { return parts(token)[2] }
