package dora

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzCompute generates a project from the fuzzer's numbers and checks the report's invariants:
// no panic, every rate in [0, 1], median <= p75 <= p90, and one series entry per ISO week.
// Run it with go test -run '^$' -fuzz '^FuzzCompute$' -fuzztime 30s ./internal/dora
func FuzzCompute(f *testing.F) {
	f.Add(uint64(1), uint8(40), uint8(6), uint8(10), int16(100), uint16(90), uint8(0))
	f.Add(uint64(2), uint8(200), uint8(12), uint8(30), int16(400), uint16(365), uint8(0xff))
	f.Add(uint64(3), uint8(0), uint8(0), uint8(0), int16(-50), uint16(1), uint8(0x55))
	f.Fuzz(func(t *testing.T, seed uint64, issues, transitions, versions uint8, fromDay int16, days uint16, flags uint8) {
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		data := generateProject(rng, generatedSize{issues: int(issues), transitionsPerIssue: int(transitions % 20), versions: int(versions)})
		cfg := fuzzConfig(flags)
		from := Date{Year: 2020, Month: 1, Day: 1}.AddDays(int(fromDay))
		w := Window{From: from, To: from.AddDays(1 + int(days%1000))}
		if flags&0x40 != 0 {
			shanghai, err := time.LoadLocation("Asia/Shanghai")
			if err != nil {
				t.Fatal(err)
			}
			w.Location = shanghai
		}

		report, evidence, err := Compute(data, cfg, w, time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		checkReportInvariants(t, report, w)
		if len(evidence.Deployments) != report.DeploymentFrequency.Count {
			t.Errorf("evidence lists %d deployments, report counts %d", len(evidence.Deployments), report.DeploymentFrequency.Count)
		}
		if len(evidence.Changes) != report.LeadTimeForChanges.Count {
			t.Errorf("evidence lists %d changes, report counts %d", len(evidence.Changes), report.LeadTimeForChanges.Count)
		}
	})
}

// fuzzConfig turns flag bits into a valid configuration.
func fuzzConfig(flags uint8) Config {
	var cfg Config
	if flags&0x01 != 0 {
		cfg.DeploymentSource = SourceStatus
		cfg.DeployedStatuses = []string{statusClosed}
	}
	if flags&0x02 != 0 {
		cfg.LeadTimeStart = StartCreated
	}
	if flags&0x04 != 0 {
		cfg.RecoveryStart = StartDeployment
	}
	if flags&0x08 != 0 {
		cfg.ReworkVersionPattern = "hotfix"
	}
	if flags&0x10 != 0 {
		cfg.IncludeSubtasks = true
		cfg.IncludeEpics = true
	}
	if flags&0x20 != 0 {
		cfg.IncidentTypes = []string{"bug", typeStory}
	}
	return cfg
}

func checkReportInvariants(t *testing.T, r Report, w Window) {
	t.Helper()
	checkRate := func(name string, rate *float64) {
		if rate != nil && (math.IsNaN(*rate) || *rate < 0 || *rate > 1) {
			t.Errorf("%s = %v, want a fraction in [0, 1]", name, *rate)
		}
	}
	checkRate("changeFailureRate.rate", r.ChangeFailureRate.Rate)
	checkRate("reworkRate.rate", r.ReworkRate.Rate)
	checkRate("reopenRate", r.ReopenRate)
	for _, week := range r.ChangeFailureRate.Series {
		checkRate("changeFailureRate.series.rate", week.Rate)
	}
	if r.ChangeFailureRate.FailedDeployments > r.ChangeFailureRate.Deployments {
		t.Errorf("%d failed deployments of %d", r.ChangeFailureRate.FailedDeployments, r.ChangeFailureRate.Deployments)
	}

	checkQuantiles := func(name string, median, p75, p90 *float64) {
		if (median == nil) != (p75 == nil) || (median == nil) != (p90 == nil) {
			t.Errorf("%s quantiles are partly null", name)
			return
		}
		if median != nil && (*median > *p75 || *p75 > *p90 || *median < 0) {
			t.Errorf("%s median %v, p75 %v, p90 %v: want 0 <= median <= p75 <= p90", name, *median, *p75, *p90)
		}
	}
	checkQuantiles("leadTimeForChanges", r.LeadTimeForChanges.MedianHours, r.LeadTimeForChanges.P75Hours, r.LeadTimeForChanges.P90Hours)
	rec := r.FailedDeploymentRecoveryTime
	checkQuantiles("failedDeploymentRecoveryTime", rec.MedianHours, rec.P75Hours, rec.P90Hours)

	for _, v := range []*float64{r.DeploymentFrequency.PerWeek, r.Throughput, rec.OldestOpenAgeHours} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
			t.Errorf("got %v, want a finite number >= 0", *v)
		}
	}
	weeks := len(w.weeks())
	if len(r.DeploymentFrequency.Series) != weeks || len(r.LeadTimeForChanges.Series) != weeks ||
		len(r.ChangeFailureRate.Series) != weeks || len(rec.Series) != weeks {
		t.Errorf("series lengths differ from the %d ISO weeks of the window", weeks)
	}
	if r.DeploymentFrequency.DeploymentDays > r.DeploymentFrequency.Count {
		t.Errorf("%d deployment days for %d deployments", r.DeploymentFrequency.DeploymentDays, r.DeploymentFrequency.Count)
	}
}

// FuzzConfig decodes arbitrary JSON as a Config, the way a config file or a settings request
// arrives. A config that Validate accepts must compute without error (incidentJql aside,
// since it needs JQL matches), and a Level must decode only from its four names or null.
// Run it with go test -run '^$' -fuzz '^FuzzConfig$' -fuzztime 30s ./internal/dora
func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{"timeZone":"Asia/Shanghai","deploymentSource":"status","deployedStatuses":["6"],"incidentTypes":["Bug","10004"],` +
		`"leadTimeStart":"created","recoveryStart":"deployment","reworkVersionPattern":"(?i)hotfix","includeSubtasks":true,"includeEpics":true}`))
	f.Add([]byte(`{"deploymentSource":"jenkins","reworkVersionPattern":"("}`))
	f.Add([]byte(`{"timeZone":"Local"}`))
	f.Add([]byte(`"low"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var level Level
		if err := json.Unmarshal(data, &level); err == nil {
			switch level {
			case "", LevelElite, LevelHigh, LevelMedium, LevelLow:
			default:
				t.Fatalf("decoded level %q", level)
			}
		}

		var cfg Config
		if err := json.Unmarshal(data, &cfg); err != nil || cfg.Validate() != nil || cfg.IncidentJQL != "" {
			return
		}
		project := generateProject(rand.New(rand.NewPCG(1, 2)), generatedSize{issues: 30, transitionsPerIssue: 5, versions: 10})
		w := Window{From: Date{Year: 2020, Month: 1, Day: 1}, To: Date{Year: 2021, Month: 1, Day: 1}}
		if _, _, err := Compute(project, cfg, w, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("Compute rejected a config that Validate accepted: %v", err)
		}
	})
}
