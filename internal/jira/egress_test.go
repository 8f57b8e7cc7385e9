package jira

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/egress"
)

func TestBlockedHostFailsWithoutRetry(t *testing.T) {
	var hits atomic.Int64
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(site.Close)
	allow, err := egress.NewAllowlist([]string{"api.atlassian.com"}, false)
	require.NoError(t, err)
	var attempts, sleeps atomic.Int64
	client, err := NewBearer(site.URL+"/ex/jira/cloud-1", "viewer-token", Options{
		HTTPClient: allow.Client(time.Minute),
		Observe:    func(RequestObservation) { attempts.Add(1) },
		Sleep:      func(context.Context, time.Duration) error { sleeps.Add(1); return nil },
	})
	require.NoError(t, err)

	_, err = client.Myself(t.Context())

	require.ErrorIs(t, err, egress.ErrBlocked)
	assert.Equal(t, int64(1), attempts.Load(), "one attempt")
	assert.Zero(t, sleeps.Load(), "no wait before a retry")
	assert.Zero(t, hits.Load(), "the site off the allowlist got no request")
}
