package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// benchStore returns a store holding one project with n issues and a 90-day report whose
// evidence lists n/2 changes, about the size a busy project's report reaches.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "metrics.db"), Options{Logger: quietLogger})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })

	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("", 3600))
	u := ProjectUpdate{Project: dora.Project{ID: "10001", Key: "OPS"}, FullIssues: true}
	var ev dora.Evidence
	for i := range n {
		at := base.Add(time.Duration(i) * time.Hour)
		u.Upserts = append(u.Upserts, dora.Issue{
			ID: fmt.Sprint(20000 + i), Key: fmt.Sprintf("OPS-%d", i+1), TypeID: "10001", StatusID: "10002",
			Created: at, Resolved: at.Add(30 * time.Hour), FixVersionIDs: []string{"30001"},
			Transitions: []dora.Transition{{At: at.Add(time.Hour), From: "10000", To: "3"}, {At: at.Add(30 * time.Hour), From: "3", To: "10002"}},
		})
		if i%2 == 0 {
			ev.Changes = append(ev.Changes, dora.ChangeEvidence{Key: fmt.Sprintf("OPS-%d", i+1), StartedAt: at, DeployedAt: at.Add(48 * time.Hour), DeploymentID: "30001", Hours: 48})
		}
	}
	u.Reports = map[int]StoredReport{90: {Evidence: ev}}
	require.NoError(b, s.ReplaceProject("dev", u))
	return s
}

// BenchmarkReport measures the read a gadget view costs: one stored report.
//
//	go test -run '^$' -bench BenchmarkReport -benchmem ./internal/store
func BenchmarkReport(b *testing.B) {
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprintf("%d issues", n), func(b *testing.B) {
			s := benchStore(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Report("dev", "10001", 90); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProjectData measures reading a project's facts for a custom window.
//
//	go test -run '^$' -bench BenchmarkProjectData -benchmem ./internal/store
func BenchmarkProjectData(b *testing.B) {
	s := benchStore(b, 2000)
	b.ReportAllocs()
	for b.Loop() {
		data, err := s.ProjectData("dev", "10001")
		if err != nil {
			b.Fatal(err)
		}
		if len(data.Issues) != 2000 {
			b.Fatalf("read %d issues, want 2000", len(data.Issues))
		}
	}
}
