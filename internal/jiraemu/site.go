package jiraemu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
	"github.com/devops-metrics/devops-metrics/internal/snapshot"
)

// Site is the content of one emulated Jira Cloud site. Build it with LoadDir or Generate.
// A Site handed to New belongs to that Emulator: change it only through the Emulator's methods.
type Site struct {
	// TimeZone is the site's default time zone (IANA name); users without their own use it.
	TimeZone   string
	Projects   []jirajson.Project
	Versions   []jirajson.Version // ProjectID is set on each
	Statuses   []jirajson.Status
	IssueTypes []jirajson.IssueType
	Issues     []*IssueRecord
	// Permissions maps an account id to the ids of the projects it may browse.
	// Nil means every account may browse every project.
	Permissions map[string][]string
}

// IssueRecord is one issue as the emulator stores it.
type IssueRecord struct {
	ID  string
	Key string
	// Fields holds the issue's fields as Jira returns them, by field id. Unknown fields are
	// kept and returned when asked for.
	Fields map[string]json.RawMessage
	// Histories is the complete changelog, oldest first.
	Histories []jirajson.History

	index issueIndex
}

// issueIndex holds the fields that JQL and paging read, decoded once per change.
type issueIndex struct {
	projectID, projectKey string
	typeID, typeName      string
	statusID, statusName  string
	priorityID, priority  string
	created, updated      time.Time
	resolved              time.Time
}

// SetField stores value (encoded as JSON) as the issue field id.
func (r *IssueRecord) SetField(id string, value any) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("set field %s of issue %s: %w", id, r.ID, err)
	}
	if r.Fields == nil {
		r.Fields = map[string]json.RawMessage{}
	}
	r.Fields[id] = raw
	return nil
}

// reindex decodes the indexed fields of r.
func (r *IssueRecord) reindex() error {
	var f struct {
		jirajson.IssueFields
		Priority *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"priority"`
	}
	raw, err := json.Marshal(r.Fields)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("decode fields of issue %s: %w", r.ID, err)
	}
	r.index = issueIndex{
		projectID: f.Project.ID, projectKey: f.Project.Key,
		typeID: f.IssueType.ID, typeName: f.IssueType.Name,
		statusID: f.Status.ID, statusName: f.Status.Name,
		created: f.Created.Time, updated: f.Updated.Time, resolved: f.ResolutionDate.Time,
	}
	if f.Priority != nil {
		r.index.priorityID, r.index.priority = f.Priority.ID, f.Priority.Name
	}
	if r.index.projectID == "" {
		return fmt.Errorf("issue %s has no fields.project.id", r.ID)
	}
	return nil
}

// LoadDir reads a snapshot folder with internal/snapshot: projects.json, versions.json,
// statuses.json, issuetypes.json and issues.json, plus the optional changelogs/ID.json (the
// complete history of issue ID, which wins over the embedded one), site.json and
// permissions.json. Issue fields are kept as the file has them.
func LoadDir(dir string) (*Site, error) {
	snap, err := snapshot.Load(dir)
	if err != nil {
		return nil, err
	}
	s := &Site{
		TimeZone:    snap.TimeZone,
		Projects:    snap.Projects,
		Versions:    snap.Versions,
		Statuses:    snap.Statuses,
		IssueTypes:  snap.IssueTypes,
		Permissions: snap.Permissions,
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			return nil, fmt.Errorf("load %s: invalid timeZone %q: use an IANA name such as Europe/Berlin", filepath.Join(dir, "site.json"), s.TimeZone)
		}
	}
	for i, raw := range snap.RawIssues {
		var item struct {
			Fields map[string]json.RawMessage `json:"fields"`
		}
		if err := json.Unmarshal(raw, &item); err != nil {
			return nil, fmt.Errorf("load %s: issue %d: %w", filepath.Join(dir, "issues.json"), i, err)
		}
		issue := snap.Issues[i]
		rec := &IssueRecord{ID: issue.ID, Key: issue.Key, Fields: item.Fields}
		if full, ok := snap.Changelogs[issue.ID]; ok {
			rec.Histories = slices.Clone(full)
		} else if issue.Changelog != nil {
			rec.Histories = slices.Clone(issue.Changelog.Histories)
		}
		sortHistories(rec.Histories)
		if err := rec.reindex(); err != nil {
			return nil, fmt.Errorf("load %s: %w", filepath.Join(dir, "issues.json"), err)
		}
		s.Issues = append(s.Issues, rec)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return s, nil
}

// sortHistories puts histories oldest first. Embedded changelogs come newest first; the
// reversal keeps histories with equal timestamps in their original relative order.
func sortHistories(h []jirajson.History) {
	if len(h) > 1 && h[0].Created.After(h[len(h)-1].Created.Time) {
		slices.Reverse(h)
	}
	slices.SortStableFunc(h, func(a, b jirajson.History) int { return a.Created.Compare(b.Created.Time) })
}

func (s *Site) validate() error {
	projects := map[string]bool{}
	for _, p := range s.Projects {
		if p.ID == "" || p.Key == "" {
			return fmt.Errorf("a project lacks its id or key")
		}
		projects[p.ID] = true
	}
	seen := map[string]bool{}
	for _, issue := range s.Issues {
		if issue.ID == "" || issue.Key == "" {
			return fmt.Errorf("an issue lacks its id or key")
		}
		if seen[issue.ID] {
			return fmt.Errorf("issue id %s appears twice", issue.ID)
		}
		seen[issue.ID] = true
	}
	return nil
}

// WriteDir writes the site as a snapshot folder that LoadDir reads back. Histories go to
// changelogs/ID.json, oldest first; issues.json embeds none.
func (s *Site) WriteDir(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "changelogs"), 0o755); err != nil {
		return fmt.Errorf("write site to %s: %w", dir, err)
	}
	type issueJSON struct {
		ID     string                     `json:"id"`
		Key    string                     `json:"key"`
		Fields map[string]json.RawMessage `json:"fields"`
	}
	issues := make([]issueJSON, 0, len(s.Issues))
	for _, issue := range s.Issues {
		issues = append(issues, issueJSON{ID: issue.ID, Key: issue.Key, Fields: issue.Fields})
		page := struct {
			IssueID   string             `json:"issueId"`
			Histories []jirajson.History `json:"histories"`
		}{issue.ID, issue.Histories}
		if page.Histories == nil {
			page.Histories = []jirajson.History{}
		}
		if err := writeJSON(filepath.Join(dir, "changelogs", issue.ID+".json"), page); err != nil {
			return err
		}
	}
	files := map[string]any{
		"projects.json":   s.Projects,
		"versions.json":   s.Versions,
		"statuses.json":   s.Statuses,
		"issuetypes.json": s.IssueTypes,
		"issues.json":     issues,
		"site.json":       map[string]string{"timeZone": s.TimeZone},
	}
	if s.Permissions != nil {
		files["permissions.json"] = s.Permissions
	}
	for name, v := range files {
		if err := writeJSON(filepath.Join(dir, name), v); err != nil {
			return err
		}
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// projectByIDOrKey finds a project by id or key (keys compare case-insensitively, as in Jira).
func (s *Site) projectByIDOrKey(idOrKey string) (jirajson.Project, bool) {
	for _, p := range s.Projects {
		if p.ID == idOrKey || strings.EqualFold(p.Key, idOrKey) {
			return p, true
		}
	}
	return jirajson.Project{}, false
}
