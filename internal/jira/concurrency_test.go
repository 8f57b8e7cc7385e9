package jira_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
)

// TestConcurrencyGroupsDoNotQueue holds the only slot of one group's pool with a project read
// that the test server keeps open, and checks that a client of another group on the same site
// still completes its permission check.
func TestConcurrencyGroupsDoNotQueue(t *testing.T) {
	release := make(chan struct{})
	readStarted := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rest/api/3/project/search":
			readStarted <- struct{}{}
			<-release
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"values":[],"isLast":true}`))
		case "/rest/api/3/permissions/check":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"projectPermissions":[{"permission":"BROWSE_PROJECTS","projects":[10001]}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(release)

	syncClient, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{MaxConcurrency: 1, ConcurrencyGroup: "sync-test"})
	require.NoError(t, err)
	checkClient, err := jira.NewBasic(srv.URL, testEmail, testToken, jira.Options{MaxConcurrency: 1, ConcurrencyGroup: "check-test"})
	require.NoError(t, err)

	go func() { _, _ = syncClient.Projects(context.Background()) }()
	<-readStarted

	// The deadline only keeps a regression from hanging the test; the check needs no wait.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	granted, err := checkClient.CheckProjectPermissions(ctx, "BROWSE_PROJECTS", []string{"10001"})
	require.NoError(t, err, "the check must not queue behind the other group's slot")
	assert.Equal(t, []string{"10001"}, granted)
}
