package dora

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The recompute runs the incident JQL as "project = <id> AND (<incidentJql>)", so a JQL that
// closes that parenthesis would match issues of every project the app can read.
func TestIncidentJQLStaysInsideProjectClause(t *testing.T) {
	rejected := []string{
		`priority = High) OR (project is not EMPTY`,
		`priority = High)) OR ((project is not EMPTY`,
		`) OR project = OTHER OR (`,
		`(priority = High`,
		`summary ~ "outage`,
		`summary ~ 'outage`,
	}
	for _, jql := range rejected {
		t.Run(jql, func(t *testing.T) {
			err := Config{IncidentJQL: jql}.Validate()

			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid incidentJql")
		})
	}

	accepted := []string{
		`priority = High`,
		`(priority = High OR labels = outage) AND status != Cancelled`,
		`summary ~ "outage (db)" OR summary ~ 'a ) b'`,
		`summary ~ "say \"hi\" )"`,
		`labels in (incident, "sev (1)")`,
	}
	for _, jql := range accepted {
		t.Run(jql, func(t *testing.T) {
			assert.NoError(t, Config{IncidentJQL: jql}.Validate())
		})
	}
}
