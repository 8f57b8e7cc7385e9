package jira

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingTransport replaces the network. It records every request that gets past the guard
// and returns 200 with an empty JSON object.
type countingTransport struct {
	mu   sync.Mutex
	seen []string
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.seen = append(c.seen, req.Method+" "+req.URL.String())
	c.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
}

func newGuardedClient(t *testing.T, siteURL string) (*Client, *countingTransport) {
	t.Helper()
	net := &countingTransport{}
	c, err := NewBasic(siteURL, "dev@example.com", "token", Options{HTTPClient: &http.Client{Transport: net, Timeout: time.Second}, MaxAttempts: 1})
	require.NoError(t, err)
	return c, net
}

func TestGuardBlocksWrites(t *testing.T) {
	writes := []struct{ method, path string }{
		{"POST", "/rest/api/3/issue"},
		{"POST", "/rest/api/3/issue/bulk"},
		{"POST", "/rest/api/3/issue/10001/transitions"},
		{"POST", "/rest/api/3/issue/10001/comment"},
		{"POST", "/rest/api/3/issue/10001/worklog"},
		{"POST", "/rest/api/3/issue/10001/attachments"},
		{"POST", "/rest/api/3/issue/10001/watchers"},
		{"POST", "/rest/api/3/issue/10001/remotelink"},
		{"POST", "/rest/api/3/issueLink"},
		{"POST", "/rest/api/3/version"},
		{"POST", "/rest/api/3/version/10009/move"},
		{"POST", "/rest/api/3/project"},
		{"POST", "/rest/api/3/component"},
		{"POST", "/rest/api/3/filter"},
		{"POST", "/rest/api/3/webhook"},
		{"POST", "/rest/api/3/user"},
		{"POST", "/rest/api/3/search"},
		{"POST", "/rest/api/3/search/jql/../../issue"},
		{"POST", "/rest/api/3/search/jql/"},
		{"POST", "/rest/api/3/changelog/bulkfetch/x"},
		{"POST", "/rest/api/3/issue/bulkfetch/x"},
		{"POST", "/rest/api/3/issue/10001/bulkfetch"},
		{"POST", "/rest/api/3/issue/bulk"},
		{"POST", "/rest/api/2/search/jql"},
		{"PUT", "/rest/api/3/issue/10001"},
		{"PUT", "/rest/api/3/issue/10001/assignee"},
		{"PUT", "/rest/api/3/version/10009"},
		{"PUT", "/rest/api/3/project/EE"},
		{"PUT", "/rest/api/3/search/jql"},
		{"DELETE", "/rest/api/3/issue/10001"},
		{"DELETE", "/rest/api/3/version/10009"},
		{"DELETE", "/rest/api/3/project/EE"},
		{"PATCH", "/rest/api/3/issue/10001"},
		{"PATCH", "/rest/api/3/search/jql"},
		{"HEAD", "/rest/api/3/myself"},
		{"OPTIONS", "/rest/api/3/myself"},
		{"CONNECT", "/rest/api/3/myself"},
		{"TRACE", "/rest/api/3/myself"},
		{"GET", "/rest/api/3/../../admin"},
		{"GET", "/secure/admin"},
	}
	for _, w := range writes {
		t.Run(w.method+" "+w.path, func(t *testing.T) {
			c, net := newGuardedClient(t, "https://sample.atlassian.net")

			err := c.call(t.Context(), w.method, w.path, nil, map[string]string{"fields": "x"}, nil)

			assert.ErrorIs(t, err, ErrReadOnly)
			assert.Empty(t, net.seen, "nothing left the client")
		})
	}
}

func TestGuardBlocksOtherHosts(t *testing.T) {
	for _, target := range []string{
		"https://evil.example.com/rest/api/3/myself",
		"http://sample.atlassian.net/rest/api/3/myself",
		"https://sample.atlassian.net.evil.example/rest/api/3/myself",
		"https://user@sample.atlassian.net/rest/api/3/myself",
		"https://169.254.169.254/latest/meta-data",
	} {
		t.Run(target, func(t *testing.T) {
			c, net := newGuardedClient(t, "https://sample.atlassian.net")
			req, err := http.NewRequestWithContext(t.Context(), "GET", target, nil)
			require.NoError(t, err)

			_, err = c.jc.Do(req, nil)

			assert.ErrorIs(t, err, ErrReadOnly)
			assert.Empty(t, net.seen)
		})
	}
}

func TestGuardBlocksPathsOutsideForgeBase(t *testing.T) {
	c, net := newGuardedClient(t, "https://api.atlassian.com/ex/jira/cloud-1")
	req, err := http.NewRequestWithContext(t.Context(), "GET", "https://api.atlassian.com/ex/jira/cloud-2/rest/api/3/myself", nil)
	require.NoError(t, err)

	_, err = c.jc.Do(req, nil)

	assert.ErrorIs(t, err, ErrReadOnly)
	assert.Empty(t, net.seen)
}

func TestGuardAllowsReads(t *testing.T) {
	reads := []struct{ method, path string }{
		{"GET", "/rest/api/3/myself"},
		{"GET", "/rest/api/3/project/search"},
		{"GET", "/rest/api/3/project/EE"},
		{"GET", "/rest/api/3/project/10003/version"},
		{"GET", "/rest/api/3/status"},
		{"GET", "/rest/api/3/issuetype"},
		{"GET", "/rest/api/3/issue/10001/changelog"},
		{"GET", "/rest/api/3/mypermissions"},
		{"POST", "/rest/api/3/search/jql"},
		{"POST", "/rest/api/3/search/approximate-count"},
		{"POST", "/rest/api/3/changelog/bulkfetch"},
		{"POST", "/rest/api/3/issue/bulkfetch"},
		{"POST", "/rest/api/3/permissions/check"},
	}
	for _, base := range []string{"https://sample.atlassian.net", "https://api.atlassian.com/ex/jira/cloud-1"} {
		for _, r := range reads {
			t.Run(base+" "+r.method+" "+r.path, func(t *testing.T) {
				c, net := newGuardedClient(t, base)

				err := c.call(t.Context(), r.method, r.path, nil, nil, nil)

				require.NoError(t, err)
				require.Len(t, net.seen, 1)
				assert.Equal(t, r.method+" "+base+r.path, net.seen[0])
			})
		}
	}
}

func TestGuardIsTheOutermostTransport(t *testing.T) {
	c, _ := newGuardedClient(t, "https://sample.atlassian.net")
	_, err := c.jc.Do(mustRequest(t, "DELETE", "https://sample.atlassian.net/rest/api/3/issue/1"), nil)
	assert.True(t, errors.Is(err, ErrReadOnly), "go-jira's Do goes through the guard: %v", err)
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	return req
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
		ok    bool
	}{
		{"seconds", "1", time.Second, true},
		{"zero seconds", "0", 0, true},
		{"http date", "Fri, 04 Dec 2026 20:00:30 GMT", 30 * time.Second, true},
		{"http date in the past", "Fri, 04 Dec 2026 19:00:00 GMT", 0, true},
		{"empty", "", 0, false},
		{"negative", "-5", 0, false},
		{"garbage", "soon", 0, false},
		{"huge seconds are capped at a day", "99999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.value, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBackoffIsCappedWithJitter(t *testing.T) {
	c, _ := newGuardedClient(t, "https://sample.atlassian.net")
	c.opts.MaxBackoff = 4 * time.Second
	c.opts.Jitter = func(d time.Duration) time.Duration { return d - 1 }
	tests := []struct {
		attempt int
		lo, hi  time.Duration
	}{
		{1, 250 * time.Millisecond, 500 * time.Millisecond},
		{2, 500 * time.Millisecond, time.Second},
		{3, time.Second, 2 * time.Second},
		{4, 2 * time.Second, 4 * time.Second},
		{10, 2 * time.Second, 4 * time.Second},
	}
	for _, tt := range tests {
		got := c.backoff(tt.attempt)
		assert.GreaterOrEqual(t, got, tt.lo, "attempt %d", tt.attempt)
		assert.Less(t, got, tt.hi, "attempt %d", tt.attempt)
	}
}

func TestNewClientRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, url, email, token, want string
	}{
		{"no scheme", "sample.atlassian.net", "a@b.c", "t", "use https://your-site.atlassian.net"},
		{"ftp", "ftp://sample.atlassian.net", "a@b.c", "t", "use https://your-site.atlassian.net"},
		{"query", "https://sample.atlassian.net/?x=1", "a@b.c", "t", "give only the scheme, host"},
		{"no token", "https://sample.atlassian.net", "a@b.c", "", "email and API token are both required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBasic(tt.url, tt.email, tt.token, Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := NewBearer("https://api.atlassian.com/ex/jira/c", "", Options{})
	assert.ErrorContains(t, err, "token is required")
}

func TestEndpointPattern(t *testing.T) {
	tests := map[string]string{
		"/rest/api/3/issue/10001/changelog": "/rest/api/3/issue/{id}/changelog",
		"/rest/api/3/project/EE/version":    "/rest/api/3/project/{id}/version",
		"/rest/api/3/project/EE":            "/rest/api/3/project/{id}",
		"/rest/api/3/project/search":        "/rest/api/3/project/search",
		"/rest/api/3/search/jql":            "/rest/api/3/search/jql",
		"/rest/api/3/myself":                "/rest/api/3/myself",
		"/rest/api/3/issue/bulkfetch":       "/rest/api/3/issue/bulkfetch",
	}
	for path, want := range tests {
		assert.Equal(t, want, endpointPattern(path), path)
	}
}

func TestObserveSeesEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	var seen []RequestObservation
	net := &countingTransport{}
	c, err := NewBasic("https://sample.atlassian.net", "dev@example.com", "token", Options{
		HTTPClient: &http.Client{Transport: net},
		Observe: func(o RequestObservation) {
			mu.Lock()
			seen = append(seen, o)
			mu.Unlock()
		},
	})
	require.NoError(t, err)

	_, err = c.Versions(t.Context(), "EE")

	require.NoError(t, err)
	require.Len(t, seen, 1)
	assert.Equal(t, "GET", seen[0].Method)
	assert.Equal(t, "/rest/api/3/project/{id}/version", seen[0].Endpoint)
	assert.Equal(t, 200, seen[0].Status)
	assert.Equal(t, 1, seen[0].Attempt)
}

func TestRedirectIsNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/rest/api/3/myself", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c, err := NewBasic(srv.URL, "dev@example.com", "token", Options{MaxAttempts: 1})
	require.NoError(t, err)

	_, err = c.Myself(t.Context())

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.Status)
	assert.Contains(t, err.Error(), "does not follow")
}

func TestFieldErrorsSurface(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"errorMessages":["The request is invalid."],"errors":{"maxResults":"must be at most 5000","jql":"is required"}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := NewBasic(srv.URL, "dev@example.com", "token", Options{})
	require.NoError(t, err)

	_, err = c.SearchIssueIDs(t.Context(), "project = EE")

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, ErrBadRequest)
	assert.Equal(t, 1, apiErr.Attempts, "a 400 is not retried")
	assert.Equal(t, []string{"The request is invalid."}, apiErr.Messages)
	assert.Equal(t, map[string]string{"maxResults": "must be at most 5000", "jql": "is required"}, apiErr.Fields)
	assert.Contains(t, err.Error(), "The request is invalid.; jql: is required; maxResults: must be at most 5000")
}
