// Package snapshot loads a Jira site snapshot: a folder of JSON files that stands for one
// Jira Cloud site, as the offline report and the Jira emulator read it.
//
// The folder holds projects.json, versions.json, statuses.json, issuetypes.json and
// issues.json (all required, each a JSON array of Jira's own objects), and optionally
// changelogs/ID.json (the complete history of issue ID, which wins over the history embedded
// in the issue), site.json ({"timeZone": ..., "serverTime": ...}) and permissions.json
// ({"accountId": [projectId, ...]}; absent means everyone may browse every project).
//
// Caveats: Load reads every file into memory, and the raw JSON of each item stays available
// next to the decoded form, so a snapshot costs about twice its size on disk.
package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// ErrUnknownProject is returned (wrapped) by Site methods when a project key is not in the site.
var ErrUnknownProject = errors.New("unknown project")

// Site is a loaded snapshot. Its fields must not be modified after Load returns; a Site is
// then safe for concurrent readers.
type Site struct {
	Dir string
	// TimeZone is the site's default time zone from site.json, or "" when it is not given.
	TimeZone string
	// ServerTime is site.json's serverTime as written, or "".
	ServerTime string

	Projects   []jirajson.Project
	Statuses   []jirajson.Status
	IssueTypes []jirajson.IssueType
	Versions   []jirajson.Version
	Issues     []jirajson.Issue
	// Changelogs maps an issue id to its complete history from changelogs/ID.json.
	Changelogs map[string][]jirajson.History
	// Permissions maps an account id to the ids of the projects it may browse. It is nil when
	// the snapshot has no permissions.json, which means everyone may browse every project.
	Permissions map[string][]string

	// RawProjects, RawVersions, RawStatuses, RawIssueTypes and RawIssues hold each item's JSON
	// exactly as the file has it, in the same order as the decoded slices above.
	RawProjects   []json.RawMessage
	RawVersions   []json.RawMessage
	RawStatuses   []json.RawMessage
	RawIssueTypes []json.RawMessage
	RawIssues     []json.RawMessage
	// RawChangelogs maps an issue id to its history entries as changelogs/ID.json has them.
	RawChangelogs map[string][]json.RawMessage
}

// requiredFiles lists the files every snapshot folder contains, for error messages.
const requiredFiles = "projects.json, versions.json, statuses.json, issuetypes.json and issues.json"

// Load reads the snapshot in dir. Errors name the file and, for invalid JSON, the byte offset.
// A missing folder, or a folder without one of the required files, gets an error that lists
// the files a snapshot folder contains.
func Load(dir string) (*Site, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("snapshot folder %s does not exist: name a folder that contains %s", dir, requiredFiles)
	case err != nil:
		return nil, fmt.Errorf("read snapshot folder %s: %w", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("snapshot folder %s is a file, not a folder: name a folder that contains %s", dir, requiredFiles)
	}
	s := &Site{Dir: dir}
	if s.Projects, s.RawProjects, err = readArray[jirajson.Project](dir, "projects.json"); err != nil {
		return nil, err
	}
	if s.Versions, s.RawVersions, err = readArray[jirajson.Version](dir, "versions.json"); err != nil {
		return nil, err
	}
	if s.Statuses, s.RawStatuses, err = readArray[jirajson.Status](dir, "statuses.json"); err != nil {
		return nil, err
	}
	if s.IssueTypes, s.RawIssueTypes, err = readArray[jirajson.IssueType](dir, "issuetypes.json"); err != nil {
		return nil, err
	}
	if s.Issues, s.RawIssues, err = readArray[jirajson.Issue](dir, "issues.json"); err != nil {
		return nil, err
	}
	if err := s.readChangelogs(); err != nil {
		return nil, err
	}
	if err := s.readSite(); err != nil {
		return nil, err
	}
	if err := s.readPermissions(); err != nil {
		return nil, err
	}
	return s, nil
}

// ProjectKeys returns the keys of the site's projects, sorted.
func (s *Site) ProjectKeys() []string {
	keys := make([]string, 0, len(s.Projects))
	for _, p := range s.Projects {
		keys = append(keys, p.Key)
	}
	slices.Sort(keys)
	return keys
}

// Project returns the project with the given key. The error for an unknown key wraps
// ErrUnknownProject and lists the keys that exist.
func (s *Site) Project(key string) (jirajson.Project, error) {
	for _, p := range s.Projects {
		if p.Key == key {
			return p, nil
		}
	}
	return jirajson.Project{}, fmt.Errorf("%w %q: the snapshot in %s has projects %s", ErrUnknownProject, key, s.Dir, strings.Join(s.ProjectKeys(), ", "))
}

// ProjectData returns the engine's input for the project with the given key. It holds the
// project's versions and issues, whose history comes from changelogs/ID.json when that file
// exists. It also holds the categories of the global statuses and of the statuses scoped to
// this project, the site's issue types and the site time zone.
func (s *Site) ProjectData(key string) (dora.ProjectData, error) {
	project, err := s.Project(key)
	if err != nil {
		return dora.ProjectData{}, err
	}
	data := dora.ProjectData{
		Project:      dora.Project{ID: project.ID, Key: project.Key, Name: project.Name},
		Statuses:     jirajson.StatusCategories(s.StatusesOf(project.ID)),
		IssueTypes:   jirajson.IssueTypes(s.IssueTypes),
		Versions:     jirajson.Versions(s.VersionsOf(project.ID)),
		SiteTimeZone: s.TimeZone,
	}
	for _, issue := range s.IssuesOf(project.ID) {
		data.Issues = append(data.Issues, issue.Facts(s.Changelogs[issue.ID]))
	}
	return data, nil
}

// StatusesOf returns the statuses that apply to a project: those without a project scope and
// those scoped to the project.
func (s *Site) StatusesOf(projectID string) []jirajson.Status {
	var statuses []jirajson.Status
	for _, st := range s.Statuses {
		if st.Scope != nil && st.Scope.Project != nil && string(st.Scope.Project.ID) != projectID {
			continue
		}
		statuses = append(statuses, st)
	}
	return statuses
}

// VersionsOf returns the versions whose projectId is the given project id.
func (s *Site) VersionsOf(projectID string) []jirajson.Version {
	var versions []jirajson.Version
	for _, v := range s.Versions {
		if string(v.ProjectID) == projectID {
			versions = append(versions, v)
		}
	}
	return versions
}

// IssuesOf returns the issues whose project field has the given project id.
func (s *Site) IssuesOf(projectID string) []jirajson.Issue {
	var issues []jirajson.Issue
	for _, issue := range s.Issues {
		if issue.Fields.Project.ID == projectID {
			issues = append(issues, issue)
		}
	}
	return issues
}

// CanBrowse reports whether an account may browse a project. Without permissions.json every
// account may browse every project; with it, only the listed project ids are allowed.
func (s *Site) CanBrowse(accountID, projectID string) bool {
	if s.Permissions == nil {
		return true
	}
	return slices.Contains(s.Permissions[accountID], projectID)
}

// readArray decodes a required file that holds a JSON array of T.
func readArray[T any](dir, name string) ([]T, []json.RawMessage, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s is not a snapshot folder: it has no %s, and a snapshot folder contains %s", dir, name, requiredFiles)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read snapshot file %s: %w", filepath.Join(dir, name), err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, jsonError(filepath.Join(dir, name), err, 0)
	}
	items := make([]T, len(raw))
	for k, item := range raw {
		if err := json.Unmarshal(item, &items[k]); err != nil {
			return nil, nil, jsonError(filepath.Join(dir, name), err, itemOffset(data, item))
		}
	}
	return items, raw, nil
}

// changelogFile is the content of changelogs/ID.json.
type changelogFile struct {
	IssueID   string            `json:"issueId"`
	Histories []json.RawMessage `json:"histories"`
}

func (s *Site) readChangelogs() error {
	dir := filepath.Join(s.Dir, "changelogs")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read snapshot folder %s: %w", dir, err)
	}
	s.Changelogs = make(map[string][]jirajson.History)
	s.RawChangelogs = make(map[string][]json.RawMessage)
	for _, entry := range entries {
		if entry.IsDir() || !strings.HasSuffix(entry.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, entry.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read snapshot file %s: %w", path, err)
		}
		var file changelogFile
		if err := json.Unmarshal(data, &file); err != nil {
			return jsonError(path, err, 0)
		}
		id := strings.TrimSuffix(entry.Name(), ".json")
		if file.IssueID != "" && file.IssueID != id {
			return fmt.Errorf("invalid snapshot file %s: issueId %q does not match the file name: name the file %s.json", path, file.IssueID, file.IssueID)
		}
		histories := make([]jirajson.History, len(file.Histories))
		for k, item := range file.Histories {
			if err := json.Unmarshal(item, &histories[k]); err != nil {
				return jsonError(path, err, itemOffset(data, item))
			}
		}
		s.Changelogs[id] = histories
		s.RawChangelogs[id] = file.Histories
	}
	return nil
}

// siteFile is the content of site.json.
type siteFile struct {
	TimeZone   string `json:"timeZone"`
	ServerTime string `json:"serverTime"`
}

func (s *Site) readSite() error {
	path := filepath.Join(s.Dir, "site.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read snapshot file %s: %w", path, err)
	}
	var file siteFile
	if err := json.Unmarshal(data, &file); err != nil {
		return jsonError(path, err, 0)
	}
	if file.TimeZone != "" {
		if _, err := time.LoadLocation(file.TimeZone); err != nil {
			return fmt.Errorf("invalid snapshot file %s: unknown timeZone %q: use an IANA name such as Europe/Berlin", path, file.TimeZone)
		}
	}
	s.TimeZone, s.ServerTime = file.TimeZone, file.ServerTime
	return nil
}

func (s *Site) readPermissions() error {
	path := filepath.Join(s.Dir, "permissions.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read snapshot file %s: %w", path, err)
	}
	var file map[string][]jirajson.ID
	if err := json.Unmarshal(data, &file); err != nil {
		return jsonError(path, err, 0)
	}
	s.Permissions = make(map[string][]string, len(file))
	for account, ids := range file {
		projects := make([]string, 0, len(ids))
		for _, id := range ids {
			projects = append(projects, string(id))
		}
		s.Permissions[account] = projects
	}
	return nil
}

// jsonError describes a decoding error of path with the byte offset in the file where it
// occurred. base is the offset of the decoded item inside the file.
func jsonError(path string, err error, base int64) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("invalid JSON in snapshot file %s at byte offset %d: %v: fix the file or record it again", path, base+syntax.Offset, err)
	case errors.As(err, &typeErr):
		return fmt.Errorf("invalid JSON in snapshot file %s at byte offset %d: %v: fix the file or record it again", path, base+typeErr.Offset, err)
	}
	return fmt.Errorf("invalid JSON in snapshot file %s near byte offset %d: %v: fix the file or record it again", path, base, err)
}

// itemOffset returns the offset of the first occurrence of item's bytes in data, or 0 when
// there is none. encoding/json copies RawMessage values, so an identical earlier item can
// shift the offset to that item.
func itemOffset(data []byte, item []byte) int64 {
	if i := bytes.Index(data, item); i >= 0 {
		return int64(i)
	}
	return 0
}
