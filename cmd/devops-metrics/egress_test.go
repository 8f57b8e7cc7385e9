package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/egress"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
	"github.com/devops-metrics/devops-metrics/internal/recompute"
	"github.com/devops-metrics/devops-metrics/internal/server"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// strangerJira is a loopback server that no allowlist names. It counts the requests that
// reach it, which must stay zero.
func strangerJira(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"projectPermissions":[],"globalPermissions":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestForgeEgressFlags(t *testing.T) {
	cases := []struct {
		name string
		opts serveOptions
		want string // empty when the flags are valid
	}{
		{"production defaults", serveOptions{jwksURL: forge.ProductionJWKSURL}, ""},
		{"staging JWKS", serveOptions{jwksURL: "https://forge.cdn.stg.atlassian-dev.net/.well-known/jwks.json"}, ""},
		{"extra API host with insecure testing", serveOptions{jwksURL: forge.ProductionJWKSURL, allowAPIHosts: []string{"127.0.0.1:9"}, insecureTesting: true}, ""},
		{"loopback JWKS with insecure testing", serveOptions{jwksURL: "http://127.0.0.1:9/jwks.json", insecureTesting: true}, ""},
		{"extra API host without insecure testing", serveOptions{jwksURL: forge.ProductionJWKSURL, allowAPIHosts: []string{"127.0.0.1:9"}}, "--insecure-testing"},
		{"malformed extra API host", serveOptions{jwksURL: forge.ProductionJWKSURL, allowAPIHosts: []string{"http://127.0.0.1:9"}, insecureTesting: true}, "--allow-api-host"},
		{"JWKS on another host", serveOptions{jwksURL: "https://jwks.example.com/jwks.json"}, "--insecure-testing"},
		{"JWKS on a Forge host over http", serveOptions{jwksURL: "http://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json"}, "--insecure-testing"},
		{"JWKS on a Forge host with a port", serveOptions{jwksURL: "https://forge.cdn.prod.atlassian-dev.net:8443/.well-known/jwks.json"}, "--insecure-testing"},
		{"JWKS on a look-alike host", serveOptions{jwksURL: "https://forge.cdn.prod.atlassian-dev.net.example.com/jwks.json"}, "--insecure-testing"},
		{"relative JWKS URL", serveOptions{jwksURL: "/jwks.json", insecureTesting: true}, "--jwks-url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newForgeEgress(tc.opts)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, 2, exitCode(err))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestServeRejectsForeignJWKSWithoutInsecureTesting(t *testing.T) {
	// The context is cancelled before the start, so a server that accepted the flags stops at
	// once and returns no error instead of serving until the test times out.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"serve", "--app-id", forgetest.AppID, "--jwks-url", "http://127.0.0.1:9/jwks.json",
		"--db", t.TempDir() + "/metrics.db", "--addr", "127.0.0.1:0"}, func(string) string { return "" }, &stdout, &stderr)

	require.Error(t, err)
	assert.Equal(t, 2, exitCode(err))
	assert.Contains(t, err.Error(), "--insecure-testing")
}

// wiredForge runs wireForge with the flags of a test against one allowed loopback Jira and
// returns the config it filled and the log it writes to.
func wiredForge(t *testing.T, allowedJira string) (*server.Config, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	st, err := store.Open(t.TempDir()+"/metrics.db", store.Options{Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	recomputer := recompute.New(st, recompute.Options{Logger: logger})
	t.Cleanup(recomputer.Close)
	issuer := forgetest.NewIssuer(t)

	cfg := &server.Config{Logger: logger, Store: st, Gate: access.NewGate(access.Options{Logger: logger})}
	opts := serveOptions{appID: forgetest.AppID, jwksURL: issuer.JWKSURL(), allowAPIHosts: []string{allowedJira}, insecureTesting: true}
	require.NoError(t, wireForge(t.Context(), cfg, opts, recomputer, logger))
	return cfg, logs
}

func TestForgePermissionCheckSkipsHostOffAllowlist(t *testing.T) {
	allowed, allowedHits := strangerJira(t)
	stranger, strangerHits := strangerJira(t)
	cfg, _ := wiredForge(t, strings.TrimPrefix(allowed.URL, "http://"))

	// The invocation is built by hand, as if a verified token had named the stranger's host.
	inv := forge.Invocation{InstallationID: installX, AccountID: "viewer-1", APIBaseURL: stranger.URL + "/ex/jira/cloud-x"}.
		WithAppTokens(viewerToken, "")
	checker, err := cfg.NewChecker(t.Context(), inv)
	require.NoError(t, err)
	_, err = checker.CheckProjectPermissions(t.Context(), "BROWSE_PROJECTS", []string{"10000"})

	require.ErrorIs(t, err, egress.ErrBlocked)
	assert.Zero(t, strangerHits.Load(), "the viewer's token never reached the stranger")

	inv.APIBaseURL = allowed.URL + "/ex/jira/cloud-x"
	checker, err = cfg.NewChecker(t.Context(), inv)
	require.NoError(t, err)
	_, err = checker.CheckProjectPermissions(t.Context(), "BROWSE_PROJECTS", []string{"10000"})
	require.NoError(t, err, "the allowed host is reached with the same wiring")
	assert.Equal(t, int64(1), allowedHits.Load())
}

func TestForgeRecomputeSkipsHostOffAllowlist(t *testing.T) {
	allowed, _ := strangerJira(t)
	stranger, strangerHits := strangerJira(t)
	cfg, logs := wiredForge(t, strings.TrimPrefix(allowed.URL, "http://"))

	inv := forge.Invocation{InstallationID: installX, APIBaseURL: stranger.URL + "/ex/jira/cloud-x"}.WithAppTokens("", systemToken)
	require.True(t, cfg.Recompute(inv))
	waitFor(t, "the recompute to fail", func() bool { return strings.Contains(logs.String(), "recompute failed") })

	assert.Contains(t, logs.String(), "not on the egress allowlist")
	assert.Zero(t, strangerHits.Load(), "the app's token never reached the stranger")
}

func TestServeJWKSRedirectIsNotFollowed(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	redirector := httptest.NewServer(http.RedirectHandler(issuer.JWKSURL(), http.StatusFound))
	t.Cleanup(redirector.Close)
	jiraServer, _ := strangerJira(t)
	host := strings.TrimPrefix(jiraServer.URL, "http://")

	srv := startServer(t, nil, "--app-id", forgetest.AppID, "--jwks-url", redirector.URL+"/.well-known/jwks.json",
		"--allow-api-host", host, "--insecure-testing", "--db", t.TempDir()+"/metrics.db", "--addr", "127.0.0.1:0")
	token := issuer.Token(t, forgetest.Invocation{InstallationID: installX, APIBaseURL: jiraServer.URL + "/ex/jira/cloud-x"}, time.Now())
	status, body := srv.send(t, http.MethodPost, "/forge/triggers/recompute", map[string]string{"Authorization": "Bearer " + token}, "")

	assert.Equal(t, http.StatusUnauthorized, status, "body: %s", body)
	assert.Zero(t, issuer.Fetches.Load(), "the JWKS behind the redirect was never fetched")
}

func TestDevClientReachesOnlyTheSite(t *testing.T) {
	site, siteHits := strangerJira(t)
	stranger, strangerHits := strangerJira(t)
	var out devEgress
	client, err := out.clientFor(site.URL)
	require.NoError(t, err)

	_, err = client.Get(stranger.URL + "/rest/api/3/myself")
	require.ErrorIs(t, err, egress.ErrBlocked)
	assert.Zero(t, strangerHits.Load(), "the API token never reached the stranger")

	resp, err := client.Get(site.URL + "/rest/api/3/myself")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int64(1), siteHits.Load())
}
