package jira

import (
	"context"
	"fmt"
	"net/url"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// Project returns one project by id or key with GET /rest/api/3/project/{idOrKey}.
// A project the caller cannot browse returns ErrNotFound.
func (c *Client) Project(ctx context.Context, idOrKey string) (dora.Project, error) {
	if idOrKey == "" {
		return dora.Project{}, fmt.Errorf("get project: %w: empty project id or key", ErrBadRequest)
	}
	var p jirajson.Project
	if err := c.call(ctx, "GET", "/rest/api/3/project/"+url.PathEscape(idOrKey), nil, nil, &p); err != nil {
		return dora.Project{}, fmt.Errorf("get project %s: %w", idOrKey, err)
	}
	return dora.Project{ID: p.ID, Key: p.Key, Name: p.Name}, nil
}

// ProjectStatuses returns the status categories that apply to one project: the site's global
// statuses plus those scoped to that project (team-managed projects have their own).
func (c *Client) ProjectStatuses(ctx context.Context, projectID string) (map[string]dora.StatusCategory, error) {
	var statuses []jirajson.Status
	if err := c.call(ctx, "GET", "/rest/api/3/status", nil, nil, &statuses); err != nil {
		return nil, fmt.Errorf("list statuses: %w", err)
	}
	applicable := statuses[:0]
	for _, s := range statuses {
		if s.Scope != nil && s.Scope.Project != nil && string(s.Scope.Project.ID) != projectID {
			continue
		}
		applicable = append(applicable, s)
	}
	return jirajson.StatusCategories(applicable), nil
}

// LoadProject reads everything the engine needs for one project (id or key): the project,
// its statuses, the issue types, its versions and every issue with its complete status history.
// SiteTimeZone is the calling account's time zone, because Jira's REST API does not expose the
// site default. Callers that know the site's zone should set it themselves.
// It costs four metadata requests (project, myself, statuses, issue types) plus the version,
// search and bulkfetch pages, and one count request when progress is not nil.
func (c *Client) LoadProject(ctx context.Context, idOrKey string, progress func(fetched, total int)) (dora.ProjectData, error) {
	project, err := c.Project(ctx, idOrKey)
	if err != nil {
		return dora.ProjectData{}, err
	}
	me, err := c.Myself(ctx)
	if err != nil {
		return dora.ProjectData{}, fmt.Errorf("load project %s: %w", project.Key, err)
	}
	statuses, err := c.ProjectStatuses(ctx, project.ID)
	if err != nil {
		return dora.ProjectData{}, fmt.Errorf("load project %s: %w", project.Key, err)
	}
	types, err := c.IssueTypes(ctx)
	if err != nil {
		return dora.ProjectData{}, fmt.Errorf("load project %s: %w", project.Key, err)
	}
	versions, err := c.Versions(ctx, project.ID)
	if err != nil {
		return dora.ProjectData{}, fmt.Errorf("load project %s: %w", project.Key, err)
	}
	fetched, err := c.FetchIssues(ctx, "project = "+project.ID, progress)
	if err != nil {
		return dora.ProjectData{}, fmt.Errorf("load project %s: %w", project.Key, err)
	}
	data := dora.ProjectData{
		Project:      project,
		Statuses:     statuses,
		IssueTypes:   types,
		Versions:     versions,
		SiteTimeZone: me.TimeZone,
	}
	for _, issue := range InProject(fetched, project.ID, c.log) {
		data.Issues = append(data.Issues, issue.Issue)
	}
	return data, nil
}
