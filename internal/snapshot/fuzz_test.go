package snapshot

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// FuzzLoad writes arbitrary issues.json and versions.json content into a snapshot folder and
// loads it; loading and computing must not panic. Run it with
// go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 30s ./internal/snapshot
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`[{"id":"1","key":"EE-1","fields":{"project":{"id":"10003"},"issuetype":{"id":"10001"},"status":{"id":"3"},"created":"2020-06-01T08:00:00.000+0800","fixVersions":[{"id":"1"}]},"changelog":{"histories":[{"id":"1","created":"2020-06-02T08:00:00.000+0800","items":[{"field":"status","from":"1","to":"3"}]}]}}]`),
		[]byte(`[{"id":"1","name":"v1","projectId":10003,"released":true,"releaseDate":"2020-06-10"}]`))
	f.Add([]byte(`[{"id":"1","fields":{"project":{"id":"10003"},"created":null,"resolutiondate":""}}]`), []byte(`[{"id":"1","projectId":"10003","released":true,"releaseDate":1593475200000}]`))
	f.Add([]byte(`[`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, issues, versions []byte) {
		dir := t.TempDir()
		files := map[string][]byte{
			"projects.json":   []byte(`[{"id":"10003","key":"EE","name":"E"}]`),
			"statuses.json":   []byte(`[{"id":"1","statusCategory":{"key":"new"}},{"id":"3","statusCategory":{"key":"indeterminate"}},{"id":"6","statusCategory":{"key":"done"}}]`),
			"issuetypes.json": []byte(`[{"id":"10001","untranslatedName":"Bug"}]`),
			"issues.json":     issues,
			"versions.json":   versions,
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		site, err := Load(dir)
		if err != nil {
			return
		}
		data, err := site.ProjectData("EE")
		if err != nil {
			t.Fatalf("ProjectData of a loaded site: %v", err)
		}
		w := dora.Window{From: dora.Date{Year: 2020, Month: 1, Day: 1}, To: dora.Date{Year: 2021, Month: 1, Day: 1}}
		if _, _, err := dora.Compute(data, dora.Config{}, w, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("Compute: %v", err)
		}
	})
}
