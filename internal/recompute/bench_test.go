package recompute

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
)

// BenchmarkFullSync measures the first sync of a generated project of 1,000 issues from the
// emulator over loopback HTTP: search, bulkfetch, all five windows and the store write.
//
//	go test -run '^$' -bench BenchmarkFullSync -benchmem ./internal/recompute
func BenchmarkFullSync(b *testing.B) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, Projects: 1, IssuesPerProject: 1000, Now: genNow})
	jiraSite := startEmulator(b, site, func() time.Time { return genNow })
	st := openStore(b)
	r := New(st, Options{Logger: quietLogger, Now: func() time.Time { return genNow }})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		// A new tenant each time makes every run a full one.
		require.NoError(b, r.Run(context.Background(), fmt.Sprint("bench-", i), jiraSite.client))
	}
	b.ReportMetric(1000, "issues/op")
}

// BenchmarkIncrementalSync measures an hourly run on the same project when nothing changed:
// the metadata reads, two searches, and all five windows computed and stored.
//
//	go test -run '^$' -bench BenchmarkIncrementalSync -benchmem ./internal/recompute
func BenchmarkIncrementalSync(b *testing.B) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 5, Projects: 1, IssuesPerProject: 1000, Now: genNow})
	clk := &clock{now: genNow.Add(time.Hour)}
	jiraSite := startEmulator(b, site, clk.Now)
	st := openStore(b)
	r := New(st, Options{Logger: quietLogger, Now: clk.Now})
	require.NoError(b, r.Run(context.Background(), "dev", jiraSite.client))
	b.ReportAllocs()
	for b.Loop() {
		clk.Set(clk.Now().Add(time.Hour))
		require.NoError(b, r.Run(context.Background(), "dev", jiraSite.client))
	}
}
