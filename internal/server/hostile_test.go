package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
)

// A gadget user can send invokeRemote to any path of the remote, so a valid token with a
// principal must not reach the routes that Forge's trigger and events call.
func TestEventRoutesRejectViewerTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.jira.grant(aliceToken, access.BrowseProjects, projectEE, true)

	for _, path := range []string{"/forge/lifecycle/uninstalled", "/forge/lifecycle/installed", "/forge/triggers/recompute"} {
		t.Run(path, func(t *testing.T) {
			got := f.do(t, request{method: http.MethodPost, path: path, token: f.token(t, f.viewer(installA, "alice")), userToken: aliceToken})

			assert.Equal(t, http.StatusForbidden, got.status, "body: %s", got.body)
			assert.Equal(t, "forbidden", got.errorCode(t))
		})
	}

	projects, err := f.store.Projects(installA)
	require.NoError(t, err)
	assert.Len(t, projects, 1, "the installation's data is still stored")
	assert.Zero(t, f.recomputes.Load(), "no recompute started")
	report := f.get(t, installA, "alice", aliceToken, "/forge/gadget/report", reportQuery(projectEE, "90"))
	assert.Equal(t, http.StatusOK, report.status)
}
