package recompute

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// logBuffer collects log lines written while a sync runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the lines written since the last take.
func (b *logBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// TestUnchangedSyncAgesStoredReports checks the run in which nothing changed: on the calendar
// day of the previous reports it moves them to the new instant instead of computing them, and
// the result equals a computation from the stored facts at that instant. A settings change, a
// changed issue and a new calendar day each make the run compute the reports again.
func TestUnchangedSyncAgesStoredReports(t *testing.T) {
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 8, Projects: 1, IssuesPerProject: 1500, Now: genNow})
	project := site.Projects[0]
	clk := &clock{now: genNow.Add(time.Hour)}
	jiraSite := startEmulator(t, site, clk.Now)
	st := openStore(t)
	logs := &logBuffer{}
	r := New(st, Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: clk.Now})
	cfg := dora.Config{IncidentJQL: "priority = High", RecoveryStart: dora.StartDeployment}
	require.NoError(t, st.PutSettings("dev", project.ID, cfg))

	// sync runs one sync at the clock's next reading and returns whether it computed the reports.
	sync := func(t *testing.T, at time.Time) bool {
		t.Helper()
		clk.Set(at)
		require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
		line := logs.take()
		require.Contains(t, line, "project sync finished")
		return strings.Contains(line, "recomputed=true")
	}
	// assertAsComputed compares every stored report with a computation at the clock's reading
	// from the stored facts.
	assertAsComputed := func(t *testing.T) {
		t.Helper()
		data, err := st.ProjectData("dev", project.ID)
		require.NoError(t, err)
		want, err := ComputeWindows(data, cfg, clk.Now())
		require.NoError(t, err)
		for _, days := range WindowDays {
			got, err := st.Report("dev", project.ID, days)
			require.NoError(t, err)
			t.Run(fmt.Sprintf("%d days", days), func(t *testing.T) { assertSameReport(t, want[days], got) })
		}
	}

	require.True(t, sync(t, genNow.Add(time.Hour)), "the first sync computes")
	year, err := st.Report("dev", project.ID, 365)
	require.NoError(t, err)
	require.NotZero(t, year.Report.FailedDeploymentRecoveryTime.OpenIncidents, "the generated site has open incidents")
	require.NotEmpty(t, year.Evidence.OpenIncidents)

	assert.False(t, sync(t, genNow.Add(3*time.Hour)), "an unchanged run on the same day moves the reports")
	assertAsComputed(t)
	aged, err := st.Report("dev", project.ID, 365)
	require.NoError(t, err)
	assert.Equal(t, genNow.Add(3*time.Hour), aged.Report.ComputedAt.UTC())
	assert.InDelta(t, 2.0, *aged.Report.FailedDeploymentRecoveryTime.OldestOpenAgeHours-*year.Report.FailedDeploymentRecoveryTime.OldestOpenAgeHours, 1e-9,
		"the oldest open incident is two hours older")

	cfg.ReworkVersionPattern = "hotfix"
	require.NoError(t, st.PutSettings("dev", project.ID, cfg))
	assert.True(t, sync(t, genNow.Add(4*time.Hour)), "a settings change computes")
	assertAsComputed(t)

	clk.Set(genNow.Add(4*time.Hour + 30*time.Minute))
	require.NoError(t, jiraSite.emu.UpdateIssue(site.Issues[7].ID, func(rec *jiraemu.IssueRecord) {
		require.NoError(t, rec.SetField("fixVersions", []jirajson.Version{}))
	}))
	assert.True(t, sync(t, genNow.Add(5*time.Hour)), "a changed issue computes")
	assertAsComputed(t)

	nextDay := genNow.Add(24 * time.Hour)
	assert.True(t, sync(t, nextDay), "an unchanged run on the next day computes the shifted windows")
	assertAsComputed(t)
	week, err := st.Report("dev", project.ID, 7)
	require.NoError(t, err)
	loc, err := time.LoadLocation(site.TimeZone)
	require.NoError(t, err)
	assert.Equal(t, dora.PresetWindow(7, nextDay, loc).To.String(), week.Report.Window.To)

	assert.False(t, sync(t, nextDay.Add(time.Minute)), "and moves them again a minute later")
	assertAsComputed(t)
	state, err := st.Sync("dev", project.ID)
	require.NoError(t, err)
	assert.Equal(t, nextDay.Add(time.Minute), state.Cursor.UTC(), "the cursor advances on a run that only moves the reports")
	assert.Equal(t, nextDay.Add(time.Minute), state.ReportsAt.UTC())
}

// TestUnchangedSyncComputesIncompleteReports checks two kinds of stored reports that an
// unchanged run must compute rather than move: reports with open incidents but without the
// oldest one's start, as builds before that field wrote them, and a set that lacks a window.
func TestUnchangedSyncComputesIncompleteReports(t *testing.T) {
	for name, damage := range map[string]func(reports map[int]store.StoredReport){
		"without the oldest open incident's start": func(reports map[int]store.StoredReport) {
			for days, r := range reports {
				r.Report.FailedDeploymentRecoveryTime.OldestOpenStart = nil
				reports[days] = r
			}
		},
		"without the 7-day window": func(reports map[int]store.StoredReport) { delete(reports, 7) },
	} {
		t.Run(name, func(t *testing.T) {
			site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 8, Projects: 1, IssuesPerProject: 1500, Now: genNow})
			project := site.Projects[0]
			clk := &clock{now: genNow.Add(time.Hour)}
			jiraSite := startEmulator(t, site, clk.Now)
			st := openStore(t)
			logs := &logBuffer{}
			r := New(st, Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: clk.Now})
			cfg := dora.Config{IncidentJQL: "priority = High"}
			require.NoError(t, st.PutSettings("dev", project.ID, cfg))
			require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))
			reports, err := st.Reports("dev", project.ID)
			require.NoError(t, err)
			damage(reports)
			require.NoError(t, st.ReplaceReports("dev", project.ID, cfg, reports, clk.Now()))
			logs.take()

			clk.Set(genNow.Add(4 * time.Hour))
			require.NoError(t, r.Run(context.Background(), "dev", jiraSite.client))

			assert.Contains(t, logs.take(), "recomputed=true")
			data, err := st.ProjectData("dev", project.ID)
			require.NoError(t, err)
			want, err := ComputeWindows(data, cfg, clk.Now())
			require.NoError(t, err)
			for _, days := range WindowDays {
				got, err := st.Report("dev", project.ID, days)
				require.NoError(t, err, "%d-day report", days)
				assertSameReport(t, want[days], got)
			}
		})
	}
}
