package forge_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
)

// Run with: go test -run '^$' -fuzz '^FuzzVerify$' -fuzztime 30s ./internal/forge/
func FuzzVerify(f *testing.F) {
	issuer := forgetest.NewIssuer(f)
	f.Add(issuer.Token(f, viewerInvocation(), testNow))
	f.Add(issuer.Sign(f, jwt.MapClaims{"iss": forge.Issuer, "aud": forgetest.AppID, "exp": testNow.Unix() + 10, "app": "x"}))
	f.Add(issuer.Sign(f, jwt.MapClaims{"iss": forge.Issuer, "aud": forgetest.AppID, "exp": testNow.Unix() + 10, "app": map[string]any{"installationId": "i", "apiBaseUrl": "https://api.atlassian.com:99999/%zz"}}))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("")

	v, err := forge.NewVerifier(f.Context(), forge.Options{
		AppID:   forgetest.AppID,
		JWKSURL: issuer.JWKSURL(),
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return testNow },
	})
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, token string) {
		inv, err := v.Verify(t.Context(), token)
		if err != nil {
			assert.ErrorIs(t, err, forge.ErrInvalidToken)
			return
		}
		assert.NotEmpty(t, inv.InstallationID)
		assert.NotEmpty(t, inv.APIBaseURL)
	})
}

// Run with: go test -run '^$' -fuzz '^FuzzBearerToken$' -fuzztime 30s ./internal/forge/
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{"Bearer a.b.c", "bearer  x ", "Basic abc", "", "Bearer"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, err := forge.BearerToken(header)
		if err != nil {
			assert.ErrorIs(t, err, forge.ErrInvalidToken)
			return
		}
		assert.NotEmpty(t, token)
	})
}
