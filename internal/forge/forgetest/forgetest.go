// Package forgetest signs Forge invocation tokens with a locally generated RSA key and serves
// the matching JWKS over loopback, for tests of code that verifies them.
package forgetest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AppID is the app id that tokens from an Issuer name as their audience by default.
const AppID = "ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555"

// Issuer signs tokens as Forge would and serves its public key as a JWKS.
type Issuer struct {
	Key *rsa.PrivateKey
	KID string
	// Server serves the JWKS at any path.
	Server *httptest.Server
	// Fetches counts the JWKS requests served.
	Fetches atomic.Int64
}

// NewIssuer generates an RSA key, starts a JWKS server on loopback and stops it when the test ends.
func NewIssuer(tb testing.TB) *Issuer {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("generate RSA key: %v", err)
	}
	issuer := &Issuer{Key: key, KID: "test-key-1"}
	issuer.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		issuer.Fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(issuer.jwks())
	}))
	tb.Cleanup(issuer.Server.Close)
	return issuer
}

// JWKSURL returns the URL of the issuer's JWKS.
func (i *Issuer) JWKSURL() string { return i.Server.URL + "/.well-known/jwks.json" }

func (i *Issuer) jwks() map[string]any {
	pub := i.Key.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA",
		"kid": i.KID,
		"use": "sig",
		"alg": "RS256",
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// Invocation describes the claims of a token. Empty fields are left out of the token.
type Invocation struct {
	InstallationID string
	APIBaseURL     string
	CloudID        string
	// AccountID becomes the principal claim; leave it empty for triggers and events.
	AccountID string
	// GadgetConfiguration becomes context.extension.gadgetConfiguration.
	GadgetConfiguration map[string]any
	ModuleKey           string
}

// Claims returns the claims of a valid token for inv, issued at now and expiring 25 s later.
func Claims(inv Invocation, now time.Time) jwt.MapClaims {
	app := map[string]any{
		"id":          AppID,
		"environment": map[string]any{"type": "DEVELOPMENT", "id": "env-1"},
		"module":      map[string]any{"type": "jira:dashboardGadget", "key": inv.ModuleKey},
	}
	if inv.InstallationID != "" {
		app["installationId"] = inv.InstallationID
	}
	if inv.APIBaseURL != "" {
		app["apiBaseUrl"] = inv.APIBaseURL
	}
	context := map[string]any{"cloudId": inv.CloudID, "moduleKey": inv.ModuleKey, "localId": "local-1"}
	if inv.GadgetConfiguration != nil {
		context["extension"] = map[string]any{"gadgetConfiguration": inv.GadgetConfiguration}
	}
	claims := jwt.MapClaims{
		"iss":     "forge/invocation-token",
		"aud":     AppID,
		"iat":     now.Unix(),
		"nbf":     now.Unix(),
		"exp":     now.Add(25 * time.Second).Unix(),
		"jti":     "jti-" + now.Format(time.RFC3339Nano),
		"app":     app,
		"context": context,
	}
	if inv.AccountID != "" {
		claims["principal"] = inv.AccountID
	}
	return claims
}

// Sign returns claims signed with RS256 by the issuer's key, with the issuer's kid.
func (i *Issuer) Sign(tb testing.TB, claims jwt.Claims) string {
	tb.Helper()
	return i.SignWithKID(tb, claims, i.KID)
}

// SignWithKID returns claims signed with RS256 by the issuer's key under the given kid.
func (i *Issuer) SignWithKID(tb testing.TB, claims jwt.Claims, kid string) string {
	tb.Helper()
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	token.Header["kid"] = kid
	signed, err := token.SignedString(i.Key)
	if err != nil {
		tb.Fatalf("sign token: %v", err)
	}
	return signed
}

// Token returns a valid token for inv, issued at now.
func (i *Issuer) Token(tb testing.TB, inv Invocation, now time.Time) string {
	tb.Helper()
	return i.Sign(tb, Claims(inv, now))
}
