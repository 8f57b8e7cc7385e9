package dora

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkCompute runs the engine on a generated project of 100,000 issues with 1,000,000
// status transitions and 2,000 versions, over a 365-day window. Run it with
//
//	go test -run '^$' -bench '^BenchmarkCompute$' -benchtime 10x -count 5 ./internal/dora
//
// peak-heap-MB is the largest HeapInuse sampled right after each Compute, which includes the
// generated input (about half of it); /usr/bin/time -v on the test binary gives the process RSS.
func BenchmarkCompute(b *testing.B) {
	data := generateProject(rand.New(rand.NewPCG(42, 7)), generatedSize{issues: 100_000, transitionsPerIssue: 10, versions: 2_000})
	w := Window{From: Date{Year: 2022, Month: 1, Day: 1}, To: Date{Year: 2023, Month: 1, Day: 1}}
	now := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := Config{ReworkVersionPattern: "hotfix"}
	runtime.GC()

	var peak uint64
	var stats runtime.MemStats
	b.ReportAllocs()
	for b.Loop() {
		report, _, err := Compute(data, cfg, w, now)
		if err != nil {
			b.Fatal(err)
		}
		if report.LeadTimeForChanges.Count == 0 {
			b.Fatal("the generated project has no lead time changes in the window")
		}
		runtime.ReadMemStats(&stats)
		peak = max(peak, stats.HeapInuse)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// TestGeneratedProjectSize checks that the benchmark's project has the size it claims.
func TestGeneratedProjectSize(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1,000,000 transitions")
	}
	data := generateProject(rand.New(rand.NewPCG(42, 7)), generatedSize{issues: 100_000, transitionsPerIssue: 10, versions: 2_000})
	transitions := 0
	for _, issue := range data.Issues {
		transitions += len(issue.Transitions)
	}
	if len(data.Issues) != 100_000 || transitions != 1_000_000 || len(data.Versions) != 2_000 {
		t.Fatalf("got %d issues, %d transitions, %d versions", len(data.Issues), transitions, len(data.Versions))
	}
}
