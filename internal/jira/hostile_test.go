package jira_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// Every Jira issue has a creation time. Without one, lead and recovery times would count from
// year 1, so an issue whose reply lacks it fails the fetch like any other malformed reply.
func TestFetchIssuesRejectsIssueWithoutCreated(t *testing.T) {
	for _, created := range []string{"", "null", `""`} {
		t.Run("created "+created, func(t *testing.T) {
			site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, IssuesPerProject: 20})
			emu, client := startEmulator(t, site, jira.Options{MaxAttempts: 1})
			ids, err := client.SearchIssueIDs(t.Context(), "project = GA")
			require.NoError(t, err)
			require.NoError(t, emu.UpdateIssue(ids[0], func(rec *jiraemu.IssueRecord) {
				if created == "" {
					delete(rec.Fields, "created")
				} else {
					rec.Fields["created"] = []byte(created)
				}
			}))

			issues, err := client.FetchIssues(t.Context(), "project = GA", nil)

			require.Error(t, err)
			assert.Contains(t, err.Error(), ids[0])
			assert.Contains(t, err.Error(), "created")
			assert.Empty(t, issues)
		})
	}
}
