package dora

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestComputeManyEqualsCompute(t *testing.T) {
	data := generateProject(rand.New(rand.NewPCG(3, 9)), generatedSize{issues: 2_000, transitionsPerIssue: 6, versions: 80})
	cfg := Config{ReworkVersionPattern: "hotfix"}
	now := time.Date(2022, 6, 15, 10, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	windows := []Window{
		PresetWindow(7, now, time.UTC),
		PresetWindow(90, now, time.UTC),
		PresetWindow(365, now, berlin),
		{From: Date{Year: 2021, Month: 1, Day: 1}, To: Date{Year: 2022, Month: 1, Day: 1}},
	}

	reports, evidence, err := ComputeMany(data, cfg, windows, now)
	require.NoError(t, err)
	require.Len(t, reports, len(windows))
	require.Len(t, evidence, len(windows))
	for i, w := range windows {
		wantReport, wantEvidence, err := Compute(data, cfg, w, now)
		require.NoError(t, err)
		assert.Equal(t, wantReport, reports[i], "report of window %d", i)
		assert.Equal(t, wantEvidence, evidence[i], "evidence of window %d", i)
	}
}

func TestComputeManyRejectsBadWindow(t *testing.T) {
	now := time.Date(2022, 6, 15, 10, 0, 0, 0, time.UTC)
	good := PresetWindow(30, now, time.UTC)
	backwards := Window{From: Date{Year: 2022, Month: 2, Day: 1}, To: Date{Year: 2022, Month: 1, Day: 1}}

	_, _, err := ComputeMany(projectData(nil), Config{}, []Window{good, backwards}, now)
	assert.Error(t, err)
}
