package jiraemu

import (
	"fmt"
	"strconv"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// This file holds the changes incremental-sync tests make to a running emulator. Each one
// stamps the issue's updated field with the emulator's clock, as Jira does.

// UpdateIssue calls change on the issue with id under the emulator's lock, then stamps
// updated and re-reads the fields JQL uses.
func (e *Emulator) UpdateIssue(id string, change func(*IssueRecord)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.findIssue(id)
	if rec == nil {
		return fmt.Errorf("update issue %s: not found", id)
	}
	change(rec)
	defer e.rebuildLookup()
	return e.touch(rec)
}

// AddIssue adds an issue. Its fields must include project (with id); created and updated
// default to the emulator's clock.
func (e *Emulator) AddIssue(rec *IssueRecord) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if rec.ID == "" || rec.Key == "" {
		return fmt.Errorf("add issue: id and key are required")
	}
	if e.findIssue(rec.ID) != nil || e.findIssue(rec.Key) != nil {
		return fmt.Errorf("add issue %s (%s): an issue with that id or key exists", rec.ID, rec.Key)
	}
	if _, ok := rec.Fields["created"]; !ok {
		if err := rec.SetField("created", jirajson.Time{Time: e.now()}); err != nil {
			return err
		}
	}
	if err := e.touch(rec); err != nil {
		return err
	}
	e.site.Issues = append(e.site.Issues, rec)
	e.rebuildLookup()
	return nil
}

// DeleteIssue removes an issue; it stops appearing in every reply, as in Jira.
func (e *Emulator) DeleteIssue(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, rec := range e.site.Issues {
		if rec.ID == id {
			e.site.Issues = append(e.site.Issues[:i:i], e.site.Issues[i+1:]...)
			e.rebuildLookup()
			return nil
		}
	}
	return fmt.Errorf("delete issue %s: not found", id)
}

// MoveIssue moves an issue to another project. It keeps its id and gets the next free key
// of the target project, as a move in Jira does.
func (e *Emulator) MoveIssue(id, toProjectKey string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.findIssue(id)
	if rec == nil {
		return fmt.Errorf("move issue %s: not found", id)
	}
	p, ok := e.site.projectByIDOrKey(toProjectKey)
	if !ok {
		return fmt.Errorf("move issue %s: project %s not found", id, toProjectKey)
	}
	var next int64 = 1
	for _, other := range e.site.Issues {
		if prefix, n := splitKey(other.Key); prefix == p.Key && n >= next {
			next = n + 1
		}
	}
	rec.Key = p.Key + "-" + strconv.FormatInt(next, 10)
	defer e.rebuildLookup()
	if err := rec.SetField("project", jirajson.Project{ID: p.ID, Key: p.Key, Name: p.Name, ProjectTypeKey: p.ProjectTypeKey}); err != nil {
		return err
	}
	return e.touch(rec)
}

// AddStatusChange appends a status change from fromID to toID at the given instant, and sets
// the issue's current status to toID when the change is its newest history.
func (e *Emulator) AddStatusChange(id string, at time.Time, fromID, toID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.findIssue(id)
	if rec == nil {
		return fmt.Errorf("add status change to issue %s: not found", id)
	}
	var to *jirajson.Status
	for i := range e.site.Statuses {
		if e.site.Statuses[i].ID == toID {
			to = &e.site.Statuses[i]
		}
	}
	if to == nil {
		return fmt.Errorf("add status change to issue %s: status %s not found", id, toID)
	}
	h := jirajson.History{
		ID:      strconv.Itoa(e.nextHistoryID()),
		Created: jirajson.Time{Time: at},
		Items:   []jirajson.HistoryItem{{Field: "status", FieldType: "jira", FieldID: "status", From: fromID, To: toID, ToString: to.Name}},
	}
	rec.Histories = append(rec.Histories, h)
	sortHistories(rec.Histories)
	if rec.Histories[len(rec.Histories)-1].ID == h.ID {
		if err := rec.SetField("status", to); err != nil {
			return err
		}
	}
	return e.touch(rec)
}

func (e *Emulator) nextHistoryID() int {
	next := 1
	for _, rec := range e.site.Issues {
		for _, h := range rec.Histories {
			if n, err := strconv.Atoi(h.ID); err == nil && n >= next {
				next = n + 1
			}
		}
	}
	return next
}

// touch stamps updated with the emulator's clock and re-indexes; the caller holds e.mu.
func (e *Emulator) touch(rec *IssueRecord) error {
	e.generation++
	if err := rec.SetField("updated", jirajson.Time{Time: e.now()}); err != nil {
		return err
	}
	return rec.reindex()
}
