// Package jirajson holds Go types for the Jira Cloud REST JSON shapes the product reads, and
// turns them into the engine's facts (package dora).
//
// Every type decodes with encoding/json and ignores fields it does not name, because real
// responses carry hundreds of custom fields. The types keep only what the metrics and the
// permission checks need: no summaries, descriptions or display names.
//
// Caveats: Time keeps the offset Jira wrote, so compare instants with time.Time methods, never
// the strings. Status categories embedded in issues are often stale; use the site's status list
// (StatusCategories) for categories.
package jirajson

// Issue is an issue as GET /rest/api/3/issue/{id} and the search endpoints return it.
type Issue struct {
	ID     string      `json:"id"`
	Key    string      `json:"key"`
	Fields IssueFields `json:"fields"`
	// Changelog is present with expand=changelog. Search results hold only the most recent
	// histories there, newest first; read the complete history from the changelog endpoints.
	Changelog *Changelog `json:"changelog,omitempty"`
}

// IssueFields holds the issue fields the metrics read.
type IssueFields struct {
	IssueType      IssueType `json:"issuetype"`
	Status         Status    `json:"status"`
	Created        Time      `json:"created"`
	ResolutionDate Time      `json:"resolutiondate"`
	Updated        Time      `json:"updated"`
	Project        Project   `json:"project"`
	FixVersions    []Version `json:"fixVersions"`
	// Versions are the Affects versions.
	Versions []Version `json:"versions"`
}

// Changelog is the changelog embedded in an issue with expand=changelog.
type Changelog struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Histories  []History `json:"histories"`
}

// History is one changelog entry: the field changes one user made at one instant.
type History struct {
	ID      string        `json:"id"`
	Created Time          `json:"created"`
	Items   []HistoryItem `json:"items"`
}

// HistoryItem is one field change. For the status field, From and To are status ids and
// FromString and ToString their names at the time of the change.
type HistoryItem struct {
	Field      string `json:"field"`
	FieldType  string `json:"fieldtype"`
	FieldID    string `json:"fieldId,omitempty"`
	From       string `json:"from"`
	FromString string `json:"fromString"`
	To         string `json:"to"`
	ToString   string `json:"toString"`
}

// IsStatus reports whether the item changes the issue's status.
func (h HistoryItem) IsStatus() bool {
	return h.FieldID == "status" || (h.FieldID == "" && h.Field == "status")
}

// PageBeanChangelog is one page of GET /rest/api/3/issue/{id}/changelog, oldest first.
type PageBeanChangelog struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	IsLast     bool      `json:"isLast"`
	Values     []History `json:"values"`
}

// BulkChangelogResponse is one page of POST /rest/api/3/changelog/bulkfetch.
// NextPageToken is empty on the last page.
type BulkChangelogResponse struct {
	IssueChangeLogs []IssueChangeLog `json:"issueChangeLogs"`
	NextPageToken   string           `json:"nextPageToken,omitempty"`
}

// IssueChangeLog is the part of one issue's history in a bulk changelog page, oldest first.
type IssueChangeLog struct {
	IssueID         string    `json:"issueId"`
	ChangeHistories []History `json:"changeHistories"`
}

// Version is a project version as GET /rest/api/3/project/{key}/version and the issue fields
// fixVersions and versions return it. Versions embedded in issues have no ProjectID.
type Version struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	ProjectID   ID          `json:"projectId,omitempty"`
	Released    bool        `json:"released"`
	Archived    bool        `json:"archived"`
	ReleaseDate ReleaseDate `json:"releaseDate"`
	StartDate   ReleaseDate `json:"startDate"`
}

// Status is a workflow status as GET /rest/api/3/status returns it.
type Status struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	UntranslatedName string         `json:"untranslatedName,omitempty"`
	StatusCategory   StatusCategory `json:"statusCategory"`
	// Scope is set for the statuses of team-managed projects.
	Scope *StatusScope `json:"scope,omitempty"`
}

// StatusCategory is a status category; Key is "new", "indeterminate" or "done".
type StatusCategory struct {
	ID   int    `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// StatusScope is the scope of a status: Type "PROJECT" with Project set for a team-managed
// project's own status.
type StatusScope struct {
	Type    string        `json:"type"`
	Project *ScopeProject `json:"project,omitempty"`
}

// ScopeProject identifies the project of a project-scoped status.
type ScopeProject struct {
	ID ID `json:"id"`
}

// IssueType is an issue type as GET /rest/api/3/issuetype returns it. UntranslatedName is the
// English name whatever the site's language; issue types embedded in issues often lack it.
type IssueType struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	UntranslatedName string `json:"untranslatedName,omitempty"`
	Subtask          bool   `json:"subtask"`
	// HierarchyLevel is -1 for sub-tasks, 0 for standard types and 1 or more for epics and above.
	HierarchyLevel int `json:"hierarchyLevel"`
}

// Project is a project as GET /rest/api/3/project/search and the issue field project return it.
type Project struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey,omitempty"`
	Simplified     bool   `json:"simplified,omitempty"`
}

// Myself is the part of GET /rest/api/3/myself the product reads. TimeZone is the time zone
// in which Jira reads the caller's JQL date literals.
type Myself struct {
	AccountID string `json:"accountId"`
	TimeZone  string `json:"timeZone"`
	Locale    string `json:"locale,omitempty"`
}
