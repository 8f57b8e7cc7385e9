package egress_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/egress"
)

// countingServer starts a loopback server that counts its requests and replies 200.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	return u.Host
}

func TestCheckAcceptsAllowedDestinations(t *testing.T) {
	allow, err := egress.NewAllowlist([]string{"api.atlassian.com", "127.0.0.1:8443", "[::1]"}, false)
	require.NoError(t, err)
	for _, raw := range []string{
		"https://api.atlassian.com/ex/jira/cloud-1/rest/api/3/myself",
		"https://API.Atlassian.com:443/ex/jira/cloud-1",
		"https://127.0.0.1:8443/rest/api/3/myself",
		"https://[::1]:9000/x",
	} {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			require.NoError(t, err)
			assert.NoError(t, allow.Check(u))
		})
	}
}

func TestCheckBlocksOtherDestinations(t *testing.T) {
	allow, err := egress.NewAllowlist([]string{"api.atlassian.com", "127.0.0.1:8443"}, false)
	require.NoError(t, err)
	cases := []struct{ name, url string }{
		{"other host", "https://example.com/rest/api/3/myself"},
		{"suffix of an allowed host", "https://evil-api.atlassian.com/"},
		{"allowed host as a subdomain", "https://api.atlassian.com.example.com/"},
		{"allowed address on another port", "https://127.0.0.1:8444/"},
		{"allowed address without its port", "https://127.0.0.1/"},
		{"plain http", "http://api.atlassian.com/"},
		{"other scheme", "ftp://api.atlassian.com/"},
		{"user information", "https://user:secret@api.atlassian.com/"},
		{"no host", "https:///path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			require.NoError(t, err)
			err = allow.Check(u)
			require.ErrorIs(t, err, egress.ErrBlocked)
			assert.NotContains(t, err.Error(), "secret", "the error never repeats a password")
		})
	}
}

func TestCheckAcceptsHTTPOnlyWhenAllowed(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:8080/rest/api/3/myself")
	require.NoError(t, err)

	strict, err := egress.NewAllowlist([]string{"127.0.0.1:8080"}, false)
	require.NoError(t, err)
	assert.ErrorIs(t, strict.Check(u), egress.ErrBlocked)

	insecure, err := egress.NewAllowlist([]string{"127.0.0.1:8080"}, true)
	require.NoError(t, err)
	assert.NoError(t, insecure.Check(u))
}

func TestNewAllowlistRejectsBadHosts(t *testing.T) {
	for _, host := range []string{"", "https://api.atlassian.com", "api.atlassian.com/path", "user@host", "host:", ":443", "[nothing]"} {
		t.Run(host, func(t *testing.T) {
			_, err := egress.NewAllowlist([]string{host}, false)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "api.atlassian.com", "the message shows a valid form")
		})
	}
	t.Run("no hosts", func(t *testing.T) {
		_, err := egress.NewAllowlist(nil, false)
		assert.Error(t, err)
	})
}

func TestClientSendsNothingToBlockedHost(t *testing.T) {
	allowed, allowedHits := countingServer(t)
	blocked, blockedHits := countingServer(t)
	allow, err := egress.NewAllowlist([]string{hostOf(t, allowed.URL)}, true)
	require.NoError(t, err)
	client := allow.Client(time.Minute)

	resp, err := client.Get(allowed.URL + "/ok")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int64(1), allowedHits.Load())

	_, err = client.Get(blocked.URL + "/steal")
	require.ErrorIs(t, err, egress.ErrBlocked)
	assert.Zero(t, blockedHits.Load(), "the blocked server got no request")
}

func TestClientBlocksRedirectToOtherHost(t *testing.T) {
	target, targetHits := countingServer(t)
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/jwks.json", http.StatusFound))
	t.Cleanup(redirector.Close)
	allow, err := egress.NewAllowlist([]string{hostOf(t, redirector.URL)}, true)
	require.NoError(t, err)

	_, err = allow.Client(time.Minute).Get(redirector.URL + "/.well-known/jwks.json")
	require.ErrorIs(t, err, egress.ErrBlocked)
	assert.Zero(t, targetHits.Load(), "the redirect target got no request")
}

func TestClientSetsEveryTimeout(t *testing.T) {
	allow, err := egress.NewAllowlist([]string{"api.atlassian.com"}, false)
	require.NoError(t, err)
	client := allow.Client(42 * time.Second)
	assert.Equal(t, 42*time.Second, client.Timeout)

	transport := egress.NewTransport()
	assert.Positive(t, transport.TLSHandshakeTimeout, "TLS handshake timeout")
	assert.Positive(t, transport.ResponseHeaderTimeout, "response header timeout")
	assert.Positive(t, transport.IdleConnTimeout, "idle connection timeout")
	assert.Positive(t, transport.ExpectContinueTimeout, "expect-continue timeout")
	assert.Positive(t, transport.MaxResponseHeaderBytes, "response header size limit")
	assert.NotNil(t, transport.DialContext, "dialer with a connect timeout")
	require.NotNil(t, transport.TLSClientConfig)
	assert.GreaterOrEqual(t, transport.TLSClientConfig.MinVersion, uint16(0x0303), "TLS 1.2 or newer")
}

func TestClientRejectsOversizedReplyHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Padding", strings.Repeat("a", 2*egress.MaxResponseHeaderBytes))
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	allow, err := egress.NewAllowlist([]string{hostOf(t, srv.URL)}, true)
	require.NoError(t, err)

	_, err = allow.Client(time.Minute).Get(srv.URL)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "header")
}
