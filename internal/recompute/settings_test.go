package recompute

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// Settings written before Validate checked the incident JQL, or by a build without the check,
// must not reach Jira: a JQL that closes the project clause would match every project.
func TestStoredInvalidIncidentJQLNeverRuns(t *testing.T) {
	st := openStore(t)
	src := newFakeSource()
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return t0 }})
	require.NoError(t, r.Run(context.Background(), "dev", src))
	before, err := st.Report("dev", "10001", 90)
	require.NoError(t, err)
	src.takeJQLs()

	require.NoError(t, st.PutSettings("dev", "10001", dora.Config{IncidentJQL: "priority = High) OR (project is not EMPTY"}))
	err = r.Run(context.Background(), "dev", src)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid incidentJql")
	for _, jql := range src.takeJQLs() {
		assert.NotContains(t, jql, "project is not EMPTY")
		assert.False(t, strings.Contains(jql, "priority"), "JQL sent: %s", jql)
	}
	after, err := st.Report("dev", "10001", 90)
	require.NoError(t, err)
	assert.Equal(t, before, after, "previous report kept")
}
