package recompute

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// TestUnchangedSyncRequests checks the Jira requests of an incremental run when nothing
// changed: the site reads once, then three requests for the project, whatever its size. The
// project has 12,000 issues, so an id pass would need three search pages of 5,000 ids.
func TestUnchangedSyncRequests(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, Projects: 1, IssuesPerProject: 12000, Now: genNow})
	project := site.Projects[0]
	clk := &clock{now: genNow.Add(time.Hour)}
	jiraSite := startEmulator(t, site, clk.Now)
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	require.Len(t, storedIDs(t, st, "dev", project.ID), 12000)
	jiraSite.log.take()

	clk.Set(genNow.Add(2 * time.Hour))
	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	calls := jiraSite.log.take()

	byPath := map[string]int{}
	for _, c := range calls {
		byPath[c.Path]++
	}
	for _, path := range metadataPaths {
		assert.Equal(t, 1, byPath[path], "site read %s", path)
	}
	assert.Equal(t, 1, byPath["/rest/api/3/project/"+project.ID+"/version"], "version pages")
	assert.Equal(t, 1, byPath["/rest/api/3/search/jql"], "searches: the updated issues only, no id pass")
	assert.Equal(t, 1, byPath["/rest/api/3/search/approximate-count"], "issue counts")
	assert.Zero(t, byPath["/rest/api/3/changelog/bulkfetch"], "bulkfetch requests")
	assert.Len(t, calls, len(metadataPaths)+3, "requests in all")
	assert.Len(t, storedIDs(t, st, "dev", project.ID), 12000, "stored issues")
}

// TestDeletionAfterUnchangedCount checks that a deleted issue is dropped by the id pass that a
// count lower than the known issues starts.
func TestDeletionAfterUnchangedCount(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 3, Projects: 1, IssuesPerProject: 300, Now: genNow})
	project := site.Projects[0]
	clk := &clock{now: genNow.Add(time.Hour)}
	jiraSite := startEmulator(t, site, clk.Now)
	st := openStore(t)
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	ids := storedIDs(t, st, "dev", project.ID)
	require.Len(t, ids, 300)
	deleted := ids[10]
	require.NoError(t, jiraSite.emu.DeleteIssue(deleted))
	jiraSite.log.take()

	clk.Set(genNow.Add(2 * time.Hour))
	require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
	calls := jiraSite.log.take()

	assert.Equal(t, 1, countPath(calls, "/rest/api/3/search/approximate-count"), "issue counts")
	assert.Equal(t, 2, countPath(calls, "/rest/api/3/search/jql"), "searches: the updated issues, then the id pass")
	got := storedIDs(t, st, "dev", project.ID)
	assert.Len(t, got, 299, "stored issues")
	assert.NotContains(t, got, deleted, "deleted issue")
}
