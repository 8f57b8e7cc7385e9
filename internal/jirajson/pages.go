package jirajson

import "github.com/devops-metrics/devops-metrics/internal/dora"

// This file holds the paging envelopes, permission replies and error bodies that the Jira
// client and the Jira emulator exchange.

// PageBeanProject is one page of GET /rest/api/3/project/search.
type PageBeanProject struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	IsLast     bool      `json:"isLast"`
	Values     []Project `json:"values"`
}

// PageBeanVersion is one page of GET /rest/api/3/project/{id}/version.
type PageBeanVersion struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	IsLast     bool      `json:"isLast"`
	Values     []Version `json:"values"`
}

// SearchResults is one page of /rest/api/3/search/jql. NextPageToken is empty on the last page.
type SearchResults struct {
	Issues        []Issue `json:"issues"`
	NextPageToken string  `json:"nextPageToken,omitempty"`
	IsLast        bool    `json:"isLast"`
}

// SearchRequest is the body of POST /rest/api/3/search/jql.
type SearchRequest struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken,omitempty"`
	MaxResults    int      `json:"maxResults,omitempty"`
	Fields        []string `json:"fields,omitempty"`
	Expand        string   `json:"expand,omitempty"`
}

// BulkChangelogRequest is the body of POST /rest/api/3/changelog/bulkfetch: at most 1,000
// issues, at most 10 field ids, and MaxResults (histories a page) of at most 10,000.
type BulkChangelogRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	FieldIDs       []string `json:"fieldIds,omitempty"`
	MaxResults     int      `json:"maxResults,omitempty"`
	NextPageToken  string   `json:"nextPageToken,omitempty"`
}

// BulkIssueRequest is the body of POST /rest/api/3/issue/bulkfetch: at most 100 issue ids or
// keys, and the fields to return.
type BulkIssueRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	Fields         []string `json:"fields,omitempty"`
}

// BulkIssueResults is the reply of POST /rest/api/3/issue/bulkfetch, with the issues in
// ascending id order. An issue that is not found or not visible is in neither list.
// IssueErrors lists the issues Jira failed to return this time, which a new request may get.
type BulkIssueResults struct {
	Issues      []IssueRef   `json:"issues"`
	IssueErrors []IssueError `json:"issueErrors"`
}

// IssueRef is an issue with only what Issue.Facts and an incremental sync read: ids and
// instants. Decoding a reply into it skips the names, which are most of an issue's fields.
type IssueRef struct {
	ID     string         `json:"id"`
	Key    string         `json:"key"`
	Fields IssueRefFields `json:"fields"`
}

// IssueRefFields are the fields of an IssueRef.
type IssueRefFields struct {
	IssueType      Ref   `json:"issuetype"`
	Status         Ref   `json:"status"`
	Created        Time  `json:"created"`
	ResolutionDate Time  `json:"resolutiondate"`
	Updated        Time  `json:"updated"`
	Project        Ref   `json:"project"`
	FixVersions    []Ref `json:"fixVersions"`
	Versions       []Ref `json:"versions"`
}

// Ref is an object of which only the id is read, such as a status or a version inside an issue.
type Ref struct {
	ID string `json:"id"`
}

// Facts returns the facts of the issue with the given transitions, like Issue.Facts.
func (i IssueRef) Facts(transitions []dora.Transition) dora.Issue {
	return dora.Issue{
		ID:                i.ID,
		Key:               i.Key,
		TypeID:            i.Fields.IssueType.ID,
		Created:           i.Fields.Created.Time,
		Resolved:          i.Fields.ResolutionDate.Time,
		StatusID:          i.Fields.Status.ID,
		FixVersionIDs:     refIDs(i.Fields.FixVersions),
		AffectsVersionIDs: refIDs(i.Fields.Versions),
		Transitions:       transitions,
	}
}

func refIDs(refs []Ref) []string {
	if len(refs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	return ids
}

// IssueError is one issue that a bulk fetch failed to return, with Jira's reason.
type IssueError struct {
	ID           string `json:"id"`
	ErrorMessage string `json:"errorMessage"`
}

// CountRequest is the body of POST /rest/api/3/search/approximate-count.
type CountRequest struct {
	JQL string `json:"jql"`
}

// CountResult is the reply of POST /rest/api/3/search/approximate-count.
type CountResult struct {
	Count int `json:"count"`
}

// PermissionsCheckRequest is the body of POST /rest/api/3/permissions/check.
type PermissionsCheckRequest struct {
	AccountID          string               `json:"accountId,omitempty"`
	ProjectPermissions []ProjectPermissions `json:"projectPermissions"`
}

// ProjectPermissions requests permissions on projects. Project ids are numbers in this body.
type ProjectPermissions struct {
	Permissions []string `json:"permissions"`
	Projects    []int64  `json:"projects"`
}

// PermissionGrants is the reply of POST /rest/api/3/permissions/check: the granted subset.
type PermissionGrants struct {
	ProjectPermissions []ProjectPermissionGrant `json:"projectPermissions"`
}

// ProjectPermissionGrant lists the projects on which Permission is granted.
type ProjectPermissionGrant struct {
	Permission string  `json:"permission"`
	Projects   []int64 `json:"projects"`
}

// MyPermissions is the reply of GET /rest/api/3/mypermissions, keyed by permission key.
type MyPermissions struct {
	Permissions map[string]MyPermission `json:"permissions"`
}

// MyPermission is whether the caller has one permission.
type MyPermission struct {
	Key            string `json:"key"`
	HavePermission bool   `json:"havePermission"`
}

// ErrorCollection is the body of Jira's error replies: general messages and messages per field.
type ErrorCollection struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}
