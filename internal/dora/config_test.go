package dora

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	got := Config{}.WithDefaults("Asia/Shanghai")
	assert.Equal(t, Config{
		TimeZone:         "Asia/Shanghai",
		DeploymentSource: SourceVersions,
		IncidentTypes:    []string{"Bug", "Incident"},
		LeadTimeStart:    StartFirstInProgress,
		RecoveryStart:    StartCreated,
	}, got)
	assert.Equal(t, "UTC", Config{}.WithDefaults("").TimeZone, "no site time zone means UTC")
	assert.Equal(t, "Europe/Berlin", Config{TimeZone: "Europe/Berlin"}.WithDefaults("Asia/Shanghai").TimeZone)
	assert.Equal(t, []string{"Problem"}, Config{IncidentTypes: []string{"Problem"}}.WithDefaults("").IncidentTypes)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero config is valid", Config{}, ""},
		{"all settings valid", Config{TimeZone: "Europe/Berlin", DeploymentSource: SourceStatus, DeployedStatuses: []string{"6"},
			IncidentTypes: []string{"Bug"}, LeadTimeStart: StartCreated, RecoveryStart: StartDeployment, ReworkVersionPattern: "hotfix"}, ""},
		{"unknown time zone", Config{TimeZone: "Mars/Olympus"}, `invalid timeZone "Mars/Olympus"`},
		{"unknown deployment source", Config{DeploymentSource: "jenkins"}, `invalid deploymentSource "jenkins": use "versions" or "status"`},
		{"status source without statuses", Config{DeploymentSource: SourceStatus}, "missing deployedStatuses"},
		{"empty incident type", Config{IncidentTypes: []string{" "}}, "invalid incidentTypes"},
		{"unknown lead time start", Config{LeadTimeStart: "firstCommit"}, `invalid leadTimeStart "firstCommit": use "firstInProgress" or "created"`},
		{"unknown recovery start", Config{RecoveryStart: "resolved"}, `invalid recoveryStart "resolved": use "created" or "deployment"`},
		{"invalid rework pattern", Config{ReworkVersionPattern: "hotfix("}, `invalid reworkVersionPattern "hotfix("`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestComputeRejectsBadInput(t *testing.T) {
	now := time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC)
	_, _, err := Compute(projectData(nil), Config{DeploymentSource: "jenkins"}, window(t, "2020-06-01", "2020-07-01"), now)
	assert.ErrorContains(t, err, "deploymentSource")
	_, _, err = Compute(projectData(nil), Config{}, window(t, "2020-07-01", "2020-07-01"), now)
	assert.ErrorContains(t, err, "from must be before to")
	_, _, err = Compute(projectData(nil), Config{}, Window{}, now)
	assert.ErrorContains(t, err, "both from and to dates are required")
}

func TestWindowLocationDefaultsToConfig(t *testing.T) {
	w := window(t, "2020-06-01", "2020-07-01")
	w.Location = nil
	report, _ := compute(t, projectData(nil), Config{TimeZone: "Asia/Tokyo"}, w)
	assert.Equal(t, "Asia/Tokyo", report.Window.TimeZone)
	assert.Equal(t, "2020-06-01", report.Window.From)
	assert.Equal(t, "2020-07-01", report.Window.To, "to is exclusive")
}

func TestPresetWindow(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	// 2020-06-30T20:00Z is already 2020-07-01 in Shanghai.
	now := time.Date(2020, 6, 30, 20, 0, 0, 0, time.UTC)
	w := PresetWindow(7, now, shanghai)
	assert.Equal(t, "2020-06-25", w.From.String(), "seven days: 25 June to 1 July")
	assert.Equal(t, "2020-07-02", w.To.String())
	assert.Equal(t, 7, w.Days())
	assert.Equal(t, shanghai, w.Location)
	assert.Equal(t, "2020-07-01", PresetWindow(90, now, time.UTC).To.String())
	assert.Equal(t, 90, PresetWindow(90, now, time.UTC).Days())
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2020-02-29")
	require.NoError(t, err)
	assert.Equal(t, Date{Year: 2020, Month: time.February, Day: 29}, d)
	assert.Equal(t, "2020-02-29", d.String())
	assert.Equal(t, "", Date{}.String())
	for _, bad := range []string{"", "2021-02-29", "2020/06/01", "01-06-2020", "2020-6-1"} {
		_, err := ParseDate(bad)
		assert.ErrorContains(t, err, "YYYY-MM-DD", bad)
	}
}

func TestLevelJSON(t *testing.T) {
	encoded, err := json.Marshal(struct {
		Empty Level `json:"empty"`
		Elite Level `json:"elite"`
	}{Elite: LevelElite})
	require.NoError(t, err)
	assert.JSONEq(t, `{"empty": null, "elite": "elite"}`, string(encoded))

	var decoded struct{ A, B Level }
	require.NoError(t, json.Unmarshal([]byte(`{"A": null, "B": "low"}`), &decoded))
	assert.Equal(t, Level(""), decoded.A)
	assert.Equal(t, LevelLow, decoded.B)
	assert.Error(t, json.Unmarshal([]byte(`{"A": "great"}`), &decoded))
}
