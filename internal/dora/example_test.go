package dora

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWorkedExample computes the worked example of docs/metrics.md, so the document's numbers
// stay true.
func TestWorkedExample(t *testing.T) {
	versions := []Version{
		released(t, "10", "1.0", "2024-03-05"),
		released(t, "11", "1.1", "2024-03-12"),
		{ID: "20", Name: "2.0"},
	}
	bug := change(t, "A-5", "2024-03-07T08:00:00Z", "2024-03-07T10:00:00Z", "2024-03-08T14:00:00Z", "11")
	bug.TypeID = typeBug
	bug.AffectsVersionIDs = []string{"10"}
	data := projectData(versions,
		change(t, "A-1", "2024-03-01T09:00:00Z", "2024-03-02T09:00:00Z", "2024-03-04T17:00:00Z", "10"),
		change(t, "A-2", "2024-03-03T10:00:00Z", "2024-03-04T12:00:00Z", "2024-03-11T12:00:00Z", "11", "20"),
		change(t, "A-3", "2024-03-01T08:00:00Z", "", "2024-03-05T08:00:00Z", "10"),
		change(t, "A-4", "2024-03-04T08:00:00Z", "2024-03-05T08:00:00Z", "", "11"),
		bug,
	)

	report, evidence := compute(t, data, Config{}, window(t, "2024-03-01", "2024-04-01"))

	df := report.DeploymentFrequency
	assert.Equal(t, 2, df.Count)
	assert.Equal(t, 2, df.DeploymentDays)
	require.NotNil(t, df.PerWeek)
	assert.InDelta(t, 0.45, *df.PerWeek, 0.005)
	assert.Equal(t, LevelMedium, df.Level)
	assert.Equal(t, []string{"2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"}, weekStarts(df.Series))

	lt := report.LeadTimeForChanges
	assert.Equal(t, 4, lt.Count)
	require.NotNil(t, lt.MedianHours)
	assert.InDelta(t, 123.0, *lt.MedianHours, 1e-9)
	assert.InDelta(t, 151.5, *lt.P75Hours, 1e-9)
	assert.InDelta(t, 183.0, *lt.P90Hours, 1e-9)
	assert.Equal(t, LevelHigh, lt.Level)
	hours := map[string]float64{}
	for _, c := range evidence.Changes {
		hours[c.Key] = c.Hours
	}
	assert.Equal(t, map[string]float64{"A-1": 87, "A-2": 204, "A-3": 112, "A-5": 134}, hours)

	cfr := report.ChangeFailureRate
	assert.Equal(t, 1, cfr.FailedDeployments)
	assert.Equal(t, 2, cfr.Deployments)
	assert.Equal(t, LevelLow, cfr.Level)

	rec := report.FailedDeploymentRecoveryTime
	assert.Equal(t, 1, rec.Count)
	require.NotNil(t, rec.MedianHours)
	assert.InDelta(t, 30.0, *rec.MedianHours, 1e-9)
	assert.Equal(t, LevelMedium, rec.Level)
	assert.Equal(t, 0, rec.OpenIncidents)

	assert.Equal(t, 1, report.ReworkRate.ReworkDeployments)
	require.NotNil(t, report.ReopenRate)
	assert.InDelta(t, 0.0, *report.ReopenRate, 0)
	require.NotNil(t, report.Throughput)
	assert.InDelta(t, 0.90, *report.Throughput, 0.005)
	assert.Equal(t, DataQuality{StartedAtCreated: 1, NotDone: 1}, report.DataQuality)
}
