package dora

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgedToEqualsLaterCompute checks that a report moved later in the day with AgedTo, and
// the evidence aged with AgeOpenIncidents, equal what Compute gives at that later instant
// from the same inputs.
func TestAgedToEqualsLaterCompute(t *testing.T) {
	data := generateProject(rand.New(rand.NewPCG(5, 8)), generatedSize{issues: 3_000, transitionsPerIssue: 6, versions: 60})
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	cfg := Config{TimeZone: "America/New_York"}
	morning := time.Date(2022, 3, 13, 1, 30, 0, 0, loc) // the day daylight saving time starts
	evening := time.Date(2022, 3, 13, 23, 10, 0, 0, loc)

	for _, days := range []int{7, 30, 365} {
		w := PresetWindow(days, morning, loc)
		require.Equal(t, w, PresetWindow(days, evening, loc), "both instants give the same window")
		early, earlyEvidence, err := Compute(data, cfg, w, morning)
		require.NoError(t, err)
		late, lateEvidence, err := Compute(data, cfg, w, evening)
		require.NoError(t, err)
		require.NotZero(t, late.FailedDeploymentRecoveryTime.OpenIncidents, "the generated project has open incidents")

		aged, err := early.AgedTo(evening)
		require.NoError(t, err)
		assert.JSONEq(t, mustJSON(t, late), mustJSON(t, aged), "%d-day report", days)
		require.NoError(t, earlyEvidence.AgeOpenIncidents(aged))
		assert.JSONEq(t, mustJSON(t, lateEvidence), mustJSON(t, earlyEvidence), "%d-day evidence", days)
	}
}

// TestAgedToStopsAtWindowEnd checks that open incidents of a window that has ended keep the
// age they had at its end.
func TestAgedToStopsAtWindowEnd(t *testing.T) {
	data := projectData(nil, incident(t, "T-1", "2020-05-20T00:00:00Z", ""))
	w := window(t, "2020-06-01", "2020-07-01")
	report, evidence, err := Compute(data, Config{}, w, ts(t, "2020-06-21T00:00:00Z"))
	require.NoError(t, err)
	rec := report.FailedDeploymentRecoveryTime
	require.NotNil(t, rec.OldestOpenStart)
	assert.Equal(t, ts(t, "2020-05-20T00:00:00Z"), *rec.OldestOpenStart)
	assert.InDelta(t, 32*24.0, *rec.OldestOpenAgeHours, 1e-9)

	aged, err := report.AgedTo(ts(t, "2020-08-01T00:00:00Z"))
	require.NoError(t, err)
	assert.InDelta(t, 42*24.0, *aged.FailedDeploymentRecoveryTime.OldestOpenAgeHours, 1e-9, "aged at the window's end, 2020-07-01")
	require.NoError(t, evidence.AgeOpenIncidents(aged))
	assert.InDelta(t, 42*24.0, evidence.OpenIncidents[0].Hours, 1e-9)
}

// TestAgedToRejectsBadWindow checks that a report whose window cannot be read is not aged.
func TestAgedToRejectsBadWindow(t *testing.T) {
	open := FailedDeploymentRecovery{OpenIncidents: 1, OldestOpenStart: ptr(time.Now().Add(-time.Hour))}
	_, err := Report{Window: WindowJSON{From: "2020-06-01", To: "2020-07-01", TimeZone: "Mars/Olympus"}, FailedDeploymentRecoveryTime: open}.AgedTo(time.Now())
	require.ErrorContains(t, err, `"Mars/Olympus"`)
	_, err = Report{Window: WindowJSON{From: "2020-06-01", To: "July", TimeZone: "UTC"}, FailedDeploymentRecoveryTime: open}.AgedTo(time.Now())
	require.ErrorContains(t, err, `"July"`)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

func TestAgedToRejectsReportWithoutOldestStart(t *testing.T) {
	r := Report{
		Window:                       WindowJSON{From: "2020-06-01", To: "2020-07-01", TimeZone: "UTC"},
		FailedDeploymentRecoveryTime: FailedDeploymentRecovery{OpenIncidents: 2, OldestOpenAgeHours: ptr(5.0)},
	}
	_, err := r.AgedTo(time.Now())
	require.ErrorContains(t, err, "oldestOpenIncidentStart")

	r.FailedDeploymentRecoveryTime = FailedDeploymentRecovery{}
	aged, err := r.AgedTo(time.Date(2020, 6, 2, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err, "a report without open incidents has no age to move")
	assert.Equal(t, time.Date(2020, 6, 2, 0, 0, 0, 0, time.UTC), aged.ComputedAt)
}
