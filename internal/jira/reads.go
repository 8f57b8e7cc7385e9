package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// Page sizes the client asks for. Jira may return fewer; the loops follow isLast and the
// number of values actually returned.
const (
	projectPageSize = 50
	versionPageSize = 50
	// maxPages bounds every paging loop, so a server that never sets isLast cannot keep the client busy forever.
	maxPages = 100_000
	// maxEmptyPages bounds the empty pages in a row that still carry a nextPageToken. Jira does
	// not document such pages, so a few are followed and an endless run is an error.
	maxEmptyPages = 10
)

// Myself is the calling account. TimeZone is the IANA zone in which Jira reads the JQL date
// literals this account sends.
type Myself struct{ AccountID, TimeZone string }

// Myself returns the calling account and its time zone.
func (c *Client) Myself(ctx context.Context) (Myself, error) {
	var me jirajson.Myself
	if err := c.call(ctx, "GET", "/rest/api/3/myself", nil, nil, &me); err != nil {
		return Myself{}, err
	}
	return Myself{AccountID: me.AccountID, TimeZone: me.TimeZone}, nil
}

// Projects returns every project the caller can browse, following the pages of /project/search.
func (c *Client) Projects(ctx context.Context) ([]dora.Project, error) {
	var projects []dora.Project
	seen := map[string]bool{}
	startAt := 0
	for range maxPages {
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(projectPageSize)}}
		var page jirajson.PageBeanProject
		if err := c.call(ctx, "GET", "/rest/api/3/project/search", q, nil, &page); err != nil {
			return nil, fmt.Errorf("list projects from %d: %w", startAt, err)
		}
		if !pageAddsIDs(seen, len(page.Values), func(i int) string { return page.Values[i].ID }) {
			return nil, fmt.Errorf("list projects from %d: %w", startAt, errRepeatedPage)
		}
		for _, p := range page.Values {
			projects = append(projects, dora.Project{ID: p.ID, Key: p.Key, Name: p.Name})
		}
		if page.IsLast || len(page.Values) == 0 {
			return projects, nil
		}
		startAt += len(page.Values)
	}
	return nil, fmt.Errorf("list projects: more than %d pages", maxPages)
}

// Statuses returns the category of every status of the site, keyed by status id, including
// the project-scoped statuses of team-managed projects. Statuses with an unknown category key are left out.
func (c *Client) Statuses(ctx context.Context) (map[string]dora.StatusCategory, error) {
	statuses, err := c.StatusList(ctx)
	if err != nil {
		return nil, err
	}
	return jirajson.StatusCategories(statuses), nil
}

// StatusList returns every status of the site as Jira lists it, with its name and scope.
func (c *Client) StatusList(ctx context.Context) ([]jirajson.Status, error) {
	var statuses []jirajson.Status
	if err := c.call(ctx, "GET", "/rest/api/3/status", nil, nil, &statuses); err != nil {
		return nil, fmt.Errorf("list statuses: %w", err)
	}
	return statuses, nil
}

// IssueTypes returns every issue type of the site, keyed by id.
func (c *Client) IssueTypes(ctx context.Context) (map[string]dora.IssueType, error) {
	types, err := c.IssueTypeList(ctx)
	if err != nil {
		return nil, err
	}
	return jirajson.IssueTypes(types), nil
}

// IssueTypeList returns every issue type of the site as Jira lists it, with its name.
func (c *Client) IssueTypeList(ctx context.Context) ([]jirajson.IssueType, error) {
	var types []jirajson.IssueType
	if err := c.call(ctx, "GET", "/rest/api/3/issuetype", nil, nil, &types); err != nil {
		return nil, fmt.Errorf("list issue types: %w", err)
	}
	return types, nil
}

// Versions returns every version of a project (id or key), following the pages of
// /project/{id}/version in Jira's sequence order.
func (c *Client) Versions(ctx context.Context, projectID string) ([]dora.Version, error) {
	if projectID == "" {
		return nil, fmt.Errorf("list versions: %w: empty project id", ErrBadRequest)
	}
	apiPath := "/rest/api/3/project/" + url.PathEscape(projectID) + "/version"
	versions := []dora.Version{}
	seen := map[string]bool{}
	startAt := 0
	for range maxPages {
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(versionPageSize)}, "orderBy": {"sequence"}}
		var page jirajson.PageBeanVersion
		if err := c.call(ctx, "GET", apiPath, q, nil, &page); err != nil {
			return nil, fmt.Errorf("list versions of project %s from %d: %w", projectID, startAt, err)
		}
		if !pageAddsIDs(seen, len(page.Values), func(i int) string { return page.Values[i].ID }) {
			return nil, fmt.Errorf("list versions of project %s from %d: %w", projectID, startAt, errRepeatedPage)
		}
		versions = append(versions, jirajson.Versions(page.Values)...)
		if page.IsLast || len(page.Values) == 0 {
			return versions, nil
		}
		startAt += len(page.Values)
	}
	return nil, fmt.Errorf("list versions of project %s: more than %d pages", projectID, maxPages)
}

// CheckProjectPermissions returns the subset of projectIDs on which the caller has permission
// (such as "BROWSE_PROJECTS"), in the order given. Project ids must be numeric.
// On any error it returns no ids, so a caller that ignores the error still grants nothing.
func (c *Client) CheckProjectPermissions(ctx context.Context, permission string, projectIDs []string) ([]string, error) {
	return c.CheckProjectPermissionsOf(ctx, "", permission, projectIDs)
}

// CheckProjectPermissionsOf is CheckProjectPermissions for the account accountID instead of the
// caller, which Jira allows only to callers with the Administer Jira global permission. An empty
// accountID checks the caller.
func (c *Client) CheckProjectPermissionsOf(ctx context.Context, accountID, permission string, projectIDs []string) ([]string, error) {
	if permission == "" {
		return nil, fmt.Errorf("check permissions: %w: empty permission key", ErrBadRequest)
	}
	if len(projectIDs) == 0 {
		return nil, nil
	}
	numeric := make([]int64, 0, len(projectIDs))
	for _, id := range projectIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("check %s permission: %w: project id %q is not a numeric Jira project id", permission, ErrBadRequest, id)
		}
		numeric = append(numeric, n)
	}
	body := jirajson.PermissionsCheckRequest{AccountID: accountID, ProjectPermissions: []jirajson.ProjectPermissions{{Permissions: []string{permission}, Projects: numeric}}}
	var grants jirajson.PermissionGrants
	if err := c.call(ctx, "POST", "/rest/api/3/permissions/check", nil, body, &grants); err != nil {
		return nil, fmt.Errorf("check %s permission on %d projects: %w", permission, len(projectIDs), err)
	}
	granted := map[int64]bool{}
	for _, g := range grants.ProjectPermissions {
		if g.Permission != permission {
			continue
		}
		for _, p := range g.Projects {
			granted[p] = true
		}
	}
	var out []string
	for i, n := range numeric {
		if granted[n] {
			out = append(out, projectIDs[i])
		}
	}
	return out, nil
}

// MyPermission reports whether the caller has permission (such as "BROWSE_PROJECTS") on a
// project. Jira returns 404 for a project the caller cannot see, which is reported as false
// with no error. Any other failure returns false and the error.
func (c *Client) MyPermission(ctx context.Context, projectID, permission string) (bool, error) {
	if projectID == "" || permission == "" {
		return false, fmt.Errorf("check permission: %w: project id and permission key are required", ErrBadRequest)
	}
	q := url.Values{"projectId": {projectID}, "permissions": {permission}}
	var mine jirajson.MyPermissions
	err := c.call(ctx, "GET", "/rest/api/3/mypermissions", q, nil, &mine)
	if err != nil {
		var apiErr *APIError
		if asAPIError(err, &apiErr) && apiErr.Status == 404 {
			return false, nil
		}
		return false, fmt.Errorf("check %s permission on project %s: %w", permission, projectID, err)
	}
	return mine.Permissions[permission].HavePermission, nil
}

// errRepeatedPage is returned by a paged read when a page contains only items of earlier pages, as
// from a Jira or proxy that ignores startAt. Without it, such a read would request maxPages pages.
var errRepeatedPage = errors.New("the reply repeated a page of items already read, so Jira or a proxy ignores startAt")

// pageAddsIDs adds the n ids that id returns to seen and reports whether any of them is new. A
// page without items adds nothing but reports true, because an empty page ends the paging anyway.
func pageAddsIDs(seen map[string]bool, n int, id func(int) string) bool {
	added := n == 0
	for i := range n {
		if !seen[id(i)] {
			seen[id(i)] = true
			added = true
		}
	}
	return added
}
