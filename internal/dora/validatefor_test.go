package dora

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidateFor(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantErrs []string // each must appear in the error; none means valid
	}{
		{"defaults are valid", Config{}, nil},
		{"type name in another case", Config{IncidentTypes: []string{"bug", "STORY"}}, nil},
		{"type id", Config{IncidentTypes: []string{typeBug}}, nil},
		{"known status ids", Config{DeploymentSource: SourceStatus, DeployedStatuses: []string{statusDone, statusClosed}}, nil},
		{"unknown type name", Config{IncidentTypes: []string{"NoSuchType"}},
			[]string{`invalid incidentTypes entry "NoSuchType"`, "project T", "use one of Bug, Epic, Initiative, Story, Sub-task"}},
		{"unknown type id", Config{IncidentTypes: []string{"Bug", "99999"}}, []string{`"99999"`}},
		{"unknown status id", Config{DeploymentSource: SourceStatus, DeployedStatuses: []string{statusDone, "42"}},
			[]string{`invalid deployedStatuses id "42"`, "use one of 1, 3, 6, 7"}},
		{"every bad value named", Config{IncidentTypes: []string{"Nope"}, DeployedStatuses: []string{"42"}},
			[]string{`"Nope"`, `"42"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.ValidateFor(projectData(nil))
			if len(tt.wantErrs) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErrs {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestValidateForShortensLongLists(t *testing.T) {
	data := projectData(nil)
	data.Statuses = map[string]StatusCategory{}
	for i := 1; i <= 40; i++ {
		data.Statuses[fmt.Sprint(i)] = CategoryDone
	}

	err := Config{DeployedStatuses: []string{"404"}}.ValidateFor(data)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "use one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 (and 28 more)")
}

func TestValidateForProjectWithoutData(t *testing.T) {
	data := ProjectData{Project: Project{ID: "100", Key: "T"}}

	err := Config{IncidentTypes: []string{"Bug"}, DeployedStatuses: []string{"6"}}.ValidateFor(data)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "lists no issue types")
	assert.Contains(t, err.Error(), "lists no statuses")
}

func TestCompareIssueKeys(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"number compared as number", "EE-2", "EE-10", -1},
		{"project key first", "AB-9", "EE-1", -1},
		{"project keys of different length", "EE-1", "EEX-1", -1},
		{"equal keys", "EE-7", "EE-7", 0},
		{"leading zero keeps a total order", "EE-02", "EE-2", -1},
		{"number longer than int64", "EE-99999999999999999999", "EE-100000000000000000000", -1},
		{"key before a value that is no key", "ZZ-1", "release-1.0", -1},
		{"no number after the numbers of its project", "EE-10", "EE-x", -1},
		{"no number before the next project", "EE-x", "K5-1", -1},
		{"values that are no keys in byte order", "1.10", "1.9", -1},
		{"empty number is no key", "EE-", "EE-1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, CompareIssueKeys(tt.a, tt.b))
			assert.Equal(t, -tt.want, CompareIssueKeys(tt.b, tt.a), "reversed")
		})
	}
}

func TestEvidenceInIssueKeyOrder(t *testing.T) {
	// Created in an order that byte order, id order and date order all get wrong.
	data := projectData(
		[]Version{released(t, "v1", "1.0", "2020-06-10"), released(t, "v2", "1.1", "2020-06-20")},
		change(t, "T-10", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-05T00:00:00Z", "v1"),
		change(t, "T-9", "2020-06-01T00:00:00Z", "2020-06-02T00:00:00Z", "2020-06-15T00:00:00Z", "v2"),
		change(t, "T-100", "2020-06-01T00:00:00Z", "", "2020-06-05T00:00:00Z", "v1"),
		change(t, "T-2", "2020-06-01T00:00:00Z", "", "", "v1"),
		change(t, "T-40", "2020-06-01T00:00:00Z", "", "", "v2"),
		change(t, "T-30", "2020-06-01T00:00:00Z", "", "2020-06-15T00:00:00Z", "v2"),
		incident(t, "T-11", "2020-06-12T00:00:00Z", "2020-06-14T00:00:00Z", "v1"),
		incident(t, "T-3", "2020-06-11T00:00:00Z", "2020-06-25T00:00:00Z", "v1"),
		incident(t, "T-20", "2020-06-21T00:00:00Z", "", "v2"),
		incident(t, "T-4", "2020-06-22T00:00:00Z", "", "v2"),
	)

	_, evidence := compute(t, data, Config{}, window(t, "2020-06-01", "2020-07-01"))

	t.Run("deployments by instant", func(t *testing.T) {
		require.Len(t, evidence.Deployments, 2)
		assert.Equal(t, "1.0", evidence.Deployments[0].Name)
		assert.Equal(t, "1.1", evidence.Deployments[1].Name)
	})
	t.Run("keys of a deployment", func(t *testing.T) {
		require.Len(t, evidence.Deployments, 2)
		assert.Equal(t, []string{"T-2", "T-10", "T-100"}, evidence.Deployments[0].ChangeKeys)
		assert.Equal(t, []string{"T-9", "T-30", "T-40"}, evidence.Deployments[1].ChangeKeys)
		assert.Equal(t, []string{"T-3", "T-11"}, evidence.Deployments[0].IncidentKeys)
		assert.Equal(t, []string{"T-4", "T-20"}, evidence.Deployments[1].IncidentKeys)
	})
	t.Run("changes", func(t *testing.T) {
		assert.Equal(t, []string{"T-9", "T-10", "T-30", "T-100"}, changeKeys(evidence.Changes))
	})
	t.Run("recoveries", func(t *testing.T) {
		assert.Equal(t, []string{"T-3", "T-11"}, incidentKeys(evidence.Recoveries))
	})
	t.Run("open incidents", func(t *testing.T) {
		assert.Equal(t, []string{"T-4", "T-20"}, incidentKeys(evidence.OpenIncidents))
	})
	t.Run("excluded issues", func(t *testing.T) {
		keys := make([]string, 0, len(evidence.Excluded))
		for _, ex := range evidence.Excluded {
			keys = append(keys, ex.Key+" "+ex.Reason)
		}
		assert.Equal(t, "T-2 notDone, T-30 startedAtCreated, T-40 notDone, T-100 startedAtCreated", strings.Join(keys, ", "))
	})
}

func changeKeys(list []ChangeEvidence) []string {
	keys := make([]string, 0, len(list))
	for _, c := range list {
		keys = append(keys, c.Key)
	}
	return keys
}

func incidentKeys(list []IncidentEvidence) []string {
	keys := make([]string, 0, len(list))
	for _, c := range list {
		keys = append(keys, c.Key)
	}
	return keys
}
