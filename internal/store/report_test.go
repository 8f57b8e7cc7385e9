package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

func TestReportWithoutEvidence(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "metrics.db"), Options{Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	report := dora.Report{Project: dora.Project{ID: "10001", Key: "OPS"}, ComputedAt: at}
	evidence := dora.Evidence{Changes: []dora.ChangeEvidence{{Key: "OPS-1", StartedAt: at, DeployedAt: at.Add(time.Hour), DeploymentID: "30001", Hours: 1}}}
	require.NoError(t, s.ReplaceProject("dev", ProjectUpdate{
		Project: report.Project, FullIssues: true,
		Reports: map[int]StoredReport{30: {Report: report, Evidence: evidence}},
	}))

	t.Run("equals the report of Report", func(t *testing.T) {
		full, err := s.Report("dev", "10001", 30)
		require.NoError(t, err)
		got, err := s.ReportWithoutEvidence("dev", "10001", 30)
		require.NoError(t, err)
		assert.Equal(t, full.Report, got)
	})
	t.Run("missing window", func(t *testing.T) {
		_, err := s.ReportWithoutEvidence("dev", "10001", 7)
		assert.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("missing project", func(t *testing.T) {
		_, err := s.ReportWithoutEvidence("dev", "10002", 30)
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

func TestDecodeReportMember(t *testing.T) {
	cases := []struct {
		name, data, wantKey, wantErr string
	}{
		{"report first", `{"report":{"project":{"id":"1","key":"A"}},"evidence":{"changes":[`, "A", ""},
		{"report after evidence", `{"evidence":{"changes":[]},"report":{"project":{"id":"1","key":"B"}}}`, "B", ""},
		{"no report member", `{"evidence":{}}`, "", "no report member"},
		{"not an object", `[1]`, "", "not a JSON object"},
		{"broken report", `{"report":{"project":`, "", "decode report"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r dora.Report
			err := decodeReportMember([]byte(tc.data), &r)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantKey, r.Project.Key)
		})
	}
}

// BenchmarkReportWithoutEvidence measures the read of a gadget report view, which needs no
// evidence, beside BenchmarkReport's read of the whole stored value.
//
//	go test -run '^$' -bench 'BenchmarkReport' -benchmem ./internal/store
func BenchmarkReportWithoutEvidence(b *testing.B) {
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprintf("%d issues", n), func(b *testing.B) {
			s := benchStore(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ReportWithoutEvidence("dev", "10001", 90); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
