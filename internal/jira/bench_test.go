package jira_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// largeProject is the generated site of the request-count record: one project of 10,000
// issues with 60 versions, every 50th issue with 60 to 120 status changes.
func largeProject() *jiraemu.Site {
	return jiraemu.Generate(jiraemu.GenerateOptions{Seed: 2026, IssuesPerProject: 10000, VersionsPerProject: 60})
}

// ceilDiv returns n/d rounded up.
func ceilDiv(n, d int) int { return (n + d - 1) / d }

func TestRequestCountOfLargeProject(t *testing.T) {
	site := largeProject()
	emu, client := startEmulator(t, site, jira.Options{})

	data, err := client.LoadProject(t.Context(), site.Projects[0].Key, nil)
	require.NoError(t, err)

	require.Len(t, data.Issues, 10000)
	idPages := emu.Count("/rest/api/3/search/jql")
	issuePages := emu.Count("/rest/api/3/issue/bulkfetch")
	bulkPages := emu.Count("/rest/api/3/changelog/bulkfetch")
	versionPages := emu.Count("/rest/api/3/project/*/version")
	metadata := emu.Count("") - idPages - issuePages - bulkPages - versionPages
	assert.Equal(t, ceilDiv(10000, 5000), idPages, "5,000 ids a search page")
	assert.Equal(t, ceilDiv(10000, 100), issuePages, "100 issues an issue bulkfetch")
	assert.Equal(t, ceilDiv(10000, 1000), bulkPages, "1,000 issues a changelog bulkfetch page")
	assert.Equal(t, ceilDiv(60, 50), versionPages, "50 versions a page")
	assert.Equal(t, 4, metadata, "project, myself, statuses and issue types")
	assert.Zero(t, emu.Count("/rest/api/3/issue/*/changelog"))
	t.Logf("requests: %d id search + %d issue bulkfetch + %d changelog bulkfetch + %d version + %d metadata = %d",
		idPages, issuePages, bulkPages, versionPages, metadata, emu.Count(""))
}

// BenchmarkLoadProject10000 reads a generated 10,000-issue project through the emulator on
// loopback: search, complete histories, versions and metadata.
//
//	go test -run '^$' -bench BenchmarkLoadProject10000 -benchmem ./internal/jira/
func BenchmarkLoadProject10000(b *testing.B) {
	site := largeProject()
	emu, client := startEmulatorB(b, site)
	key := site.Projects[0].Key
	b.ReportAllocs()
	loops := 0
	for b.Loop() {
		if _, err := client.LoadProject(b.Context(), key, nil); err != nil {
			b.Fatal(err)
		}
		loops++
	}
	b.ReportMetric(float64(emu.Count(""))/float64(loops), "requests/op")
}
