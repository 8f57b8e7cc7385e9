// Package dora computes the DORA metrics of one Jira project from plain facts.
//
// The package does no I/O: it knows nothing of HTTP, bbolt, Forge or Jira's JSON.
// Adapters (the snapshot loader, the Jira client, the store) turn their inputs into
// the types below, and callers pass the window and the clock in.
package dora

import (
	"time"
)

// StatusCategory is the key of a Jira status category.
type StatusCategory string

// The three status categories Jira has.
const (
	CategoryNew           StatusCategory = "new"
	CategoryIndeterminate StatusCategory = "indeterminate"
	CategoryDone          StatusCategory = "done"
)

// Date is a calendar date without a time or a zone, such as a version's release date.
// The zero Date means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Project identifies a Jira project.
type Project struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// IssueType is the part of a Jira issue type the metrics need.
type IssueType struct {
	ID string
	// UntranslatedName is the English name, such as "Bug", whatever the site's language.
	UntranslatedName string
	Subtask          bool
	// HierarchyLevel is -1 for sub-tasks, 0 for standard types and 1 or more for epics and above.
	HierarchyLevel int
}

// Version is a Jira project version (a release).
type Version struct {
	ID          string
	Name        string
	Released    bool
	ReleaseDate Date // zero when the version has no release date
	Archived    bool
}

// Transition is one status change from an issue's changelog, matched by status id.
type Transition struct {
	At   time.Time
	From string // status id
	To   string // status id
}

// Issue holds the facts of one Jira issue that the metrics need and nothing else.
type Issue struct {
	ID       string
	Key      string
	TypeID   string
	Created  time.Time
	Resolved time.Time // zero when the issue has no resolution date
	StatusID string    // the current status
	// FixVersionIDs and AffectsVersionIDs are the ids of the issue's Fix versions and Affects versions.
	FixVersionIDs     []string
	AffectsVersionIDs []string
	// Transitions is the COMPLETE status history, oldest first.
	Transitions []Transition
}

// ProjectData is everything the engine reads for one project.
type ProjectData struct {
	Project Project
	// Statuses maps a status id to its category, from Jira's status list (not from copies
	// embedded in issues). An id that is missing has no category.
	Statuses   map[string]StatusCategory
	IssueTypes map[string]IssueType
	Versions   []Version
	Issues     []Issue
	// IncidentJQLMatches holds the ids of the issues that match Config.IncidentJQL.
	// It is nil when no incident JQL is configured; the caller runs the JQL, not the engine.
	IncidentJQLMatches map[string]bool
	// SiteTimeZone is the site's default time zone (IANA name), used when Config.TimeZone is empty.
	SiteTimeZone string
}

// Deployment sources.
const (
	SourceVersions = "versions"
	SourceStatus   = "status"
)

// Lead-time and recovery start points.
const (
	StartFirstInProgress = "firstInProgress"
	StartCreated         = "created"
	StartDeployment      = "deployment"
)

// Config holds a project's metric settings. The zero value of each field means its default;
// Config.WithDefaults fills them in.
type Config struct {
	// TimeZone is an IANA name for calendar days, weeks and release dates.
	// Default: the site's time zone, else UTC.
	TimeZone string `json:"timeZone,omitempty"`
	// DeploymentSource is "versions" (default) or "status".
	DeploymentSource string `json:"deploymentSource,omitempty"`
	// DeployedStatuses are the status ids whose first entry counts as a deployment
	// when DeploymentSource is "status".
	DeployedStatuses []string `json:"deployedStatuses,omitempty"`
	// IncidentTypes are issue type untranslated names or ids that are incidents.
	// Default: "Bug" and "Incident", compared case-insensitively.
	IncidentTypes []string `json:"incidentTypes,omitempty"`
	// IncidentJQL is an extra JQL filter an incident must also match.
	IncidentJQL string `json:"incidentJql,omitempty"`
	// LeadTimeStart is "firstInProgress" (default) or "created".
	LeadTimeStart string `json:"leadTimeStart,omitempty"`
	// RecoveryStart is "created" (default) or "deployment".
	RecoveryStart string `json:"recoveryStart,omitempty"`
	// ReworkVersionPattern is a regular expression on version names that marks hotfix releases.
	ReworkVersionPattern string `json:"reworkVersionPattern,omitempty"`
	// IncludeSubtasks and IncludeEpics count those issue types as changes; both default to false.
	IncludeSubtasks bool `json:"includeSubtasks,omitempty"`
	IncludeEpics    bool `json:"includeEpics,omitempty"`
}

// Window is the half-open interval of calendar days [From, To) in a time zone.
type Window struct {
	From     Date
	To       Date // exclusive
	Location *time.Location
}

// Level is a DORA performance level. The empty Level is encoded as JSON null.
type Level string

// The DORA levels.
const (
	LevelElite  Level = "elite"
	LevelHigh   Level = "high"
	LevelMedium Level = "medium"
	LevelLow    Level = "low"
)

// Report is the Report JSON that the CLI and the gadget share. Numbers that have no data are nil
// and encode as null, never 0.
type Report struct {
	Project                      Project                  `json:"project"`
	Window                       WindowJSON               `json:"window"`
	ComputedAt                   time.Time                `json:"computedAt"`
	DeploymentFrequency          DeploymentFrequency      `json:"deploymentFrequency"`
	LeadTimeForChanges           LeadTime                 `json:"leadTimeForChanges"`
	ChangeFailureRate            ChangeFailureRate        `json:"changeFailureRate"`
	FailedDeploymentRecoveryTime FailedDeploymentRecovery `json:"failedDeploymentRecoveryTime"`
	ReworkRate                   ReworkRate               `json:"reworkRate"`
	ReopenRate                   *float64                 `json:"reopenRate"`
	Throughput                   *float64                 `json:"throughput"`
	DataQuality                  DataQuality              `json:"dataQuality"`
}

// WindowJSON is the window as the Report JSON shows it: dates as "YYYY-MM-DD", To exclusive.
type WindowJSON struct {
	From     string `json:"from"`
	To       string `json:"to"`
	TimeZone string `json:"timeZone"`
}

// WeekCount is one ISO week of a count series; WeekStart is the Monday as "YYYY-MM-DD".
type WeekCount struct {
	WeekStart string `json:"weekStart"`
	Count     int    `json:"count"`
}

// WeekDuration is one ISO week of a duration series.
type WeekDuration struct {
	WeekStart   string   `json:"weekStart"`
	Count       int      `json:"count"`
	MedianHours *float64 `json:"medianHours"`
}

// WeekRate is one ISO week of the change failure rate series.
type WeekRate struct {
	WeekStart         string   `json:"weekStart"`
	Deployments       int      `json:"deployments"`
	FailedDeployments int      `json:"failedDeployments"`
	Rate              *float64 `json:"rate"`
}

// DeploymentFrequency is metric 1.
type DeploymentFrequency struct {
	Count          int         `json:"count"`
	PerWeek        *float64    `json:"perWeek"`
	DeploymentDays int         `json:"deploymentDays"`
	Level          Level       `json:"level"`
	Series         []WeekCount `json:"series"`
}

// LeadTime is metric 2, lead time for changes, in hours.
type LeadTime struct {
	Count       int            `json:"count"`
	MedianHours *float64       `json:"medianHours"`
	P75Hours    *float64       `json:"p75Hours"`
	P90Hours    *float64       `json:"p90Hours"`
	Level       Level          `json:"level"`
	Series      []WeekDuration `json:"series"`
}

// ChangeFailureRate is metric 3.
type ChangeFailureRate struct {
	Deployments       int        `json:"deployments"`
	FailedDeployments int        `json:"failedDeployments"`
	Rate              *float64   `json:"rate"`
	Level             Level      `json:"level"`
	Series            []WeekRate `json:"series"`
}

// FailedDeploymentRecovery is metric 4, failed deployment recovery time, in hours.
type FailedDeploymentRecovery struct {
	Count              int      `json:"count"`
	MedianHours        *float64 `json:"medianHours"`
	P75Hours           *float64 `json:"p75Hours"`
	P90Hours           *float64 `json:"p90Hours"`
	OpenIncidents      int      `json:"openIncidents"`
	OldestOpenAgeHours *float64 `json:"oldestOpenIncidentAgeHours"`
	// OldestOpenStart is the creation instant of the oldest open incident, from which its age
	// is taken at ComputedAt, or at the window's end when that comes first.
	OldestOpenStart *time.Time     `json:"oldestOpenIncidentStart"`
	Level           Level          `json:"level"`
	Series          []WeekDuration `json:"series"`
}

// ReworkRate is metric 5, deployment rework rate (DORA 2024). DORA publishes no levels for it.
type ReworkRate struct {
	Deployments       int      `json:"deployments"`
	ReworkDeployments int      `json:"reworkDeployments"`
	Rate              *float64 `json:"rate"`
}

// DataQuality counts the inputs that were excluded or approximated.
type DataQuality struct {
	StartedAtCreated           int `json:"startedAtCreated"`
	NotDone                    int `json:"notDone"`
	NegativeDurations          int `json:"negativeDurations"`
	VersionsWithoutReleaseDate int `json:"versionsWithoutReleaseDate"`
	UnknownStatuses            int `json:"unknownStatuses"`
}

// Evidence lists the versions and issues behind each number of a Report, for drill-down.
// It is computed with the Report and is not part of the Report JSON.
type Evidence struct {
	Deployments   []DeploymentEvidence `json:"deployments"`
	Changes       []ChangeEvidence     `json:"changes"`
	Recoveries    []IncidentEvidence   `json:"recoveries"`
	OpenIncidents []IncidentEvidence   `json:"openIncidents"`
	Excluded      []ExcludedIssue      `json:"excluded"`
}

// DeploymentEvidence is one deployment in the window.
type DeploymentEvidence struct {
	// ID is the version id (source "versions") or the issue id (source "status").
	ID           string    `json:"id"`
	Name         string    `json:"name"` // version name or issue key
	At           time.Time `json:"at"`
	Failed       bool      `json:"failed"`
	Rework       bool      `json:"rework"`
	IncidentKeys []string  `json:"incidentKeys"`
	ChangeKeys   []string  `json:"changeKeys"`
}

// ChangeEvidence is one change counted in lead time.
type ChangeEvidence struct {
	Key          string    `json:"key"`
	StartedAt    time.Time `json:"startedAt"`
	DeployedAt   time.Time `json:"deployedAt"`
	DeploymentID string    `json:"deploymentId"`
	Hours        float64   `json:"hours"`
}

// IncidentEvidence is one incident counted in recovery time, or still open.
type IncidentEvidence struct {
	Key          string    `json:"key"`
	Start        time.Time `json:"start"`
	DoneAt       time.Time `json:"doneAt,omitzero"`
	Hours        float64   `json:"hours"` // recovery time, or age when open
	DeploymentID string    `json:"deploymentId,omitempty"`
}

// ExcludedIssue is an issue left out of a number, with the reason
// ("notDone", "negativeDuration", "startedAtCreated").
type ExcludedIssue struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}
