package store

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// Keys of a project's ProjectMetadata and of a tenant's TenantSync.
var (
	keyMetadata   = []byte("metadata")
	keyTenantSync = []byte("sync")
)

// StatusInfo is a workflow status as the edit view lists it.
type StatusInfo struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Category dora.StatusCategory `json:"category"`
}

// IssueTypeInfo is an issue type as the edit view lists it.
type IssueTypeInfo struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	UntranslatedName string `json:"untranslatedName"`
	Subtask          bool   `json:"subtask"`
	// HierarchyLevel is -1 for sub-tasks, 0 for standard types and 1 or more for epics and above.
	HierarchyLevel int `json:"hierarchyLevel"`
}

// ProjectMetadata is the workflow configuration of a project that the edit view offers as
// choices: its statuses and issue types with their names. Names of statuses and issue types
// are configuration, not personal data.
type ProjectMetadata struct {
	Statuses   []StatusInfo    `json:"statuses"`
	IssueTypes []IssueTypeInfo `json:"issueTypes"`
}

// TenantSync is the sync record of a whole installation.
type TenantSync struct {
	// FinishedAt is when the last sync of every project of the installation ended, with or
	// without errors. Zero means the first sync has not finished.
	FinishedAt time.Time `json:"finishedAt,omitzero"`
}

// Metadata returns the statuses and issue types of a synced project, each ordered by numeric
// id. When the last sync stored no names, the lists hold the stored ids with empty names. It
// returns ErrNotFound, wrapped, when the project has not been synced.
func (s *Store) Metadata(tenant, projectID string) (ProjectMetadata, error) {
	if err := checkTenantProject(tenant, projectID); err != nil {
		return ProjectMetadata{}, err
	}
	var md ProjectMetadata
	err := s.db.View(func(tx *bolt.Tx) error {
		p := projectBucket(tx, tenant, projectID)
		if p == nil || p.Get(keyProject) == nil {
			return ErrNotFound
		}
		found, err := getJSON(p, keyMetadata, &md)
		if err != nil || found {
			return err
		}
		var statuses map[string]dora.StatusCategory
		if _, err := getJSON(p, keyStatuses, &statuses); err != nil {
			return err
		}
		var types map[string]dora.IssueType
		if _, err := getJSON(p, keyIssueTypes, &types); err != nil {
			return err
		}
		for id, category := range statuses {
			md.Statuses = append(md.Statuses, StatusInfo{ID: id, Category: category})
		}
		for id, t := range types {
			md.IssueTypes = append(md.IssueTypes, IssueTypeInfo{ID: id, UntranslatedName: t.UntranslatedName, Subtask: t.Subtask, HierarchyLevel: t.HierarchyLevel})
		}
		return nil
	})
	if err != nil {
		return ProjectMetadata{}, fmt.Errorf("read metadata of project %s of tenant %s: %w", projectID, tenant, err)
	}
	if md.Statuses == nil {
		md.Statuses = []StatusInfo{}
	}
	if md.IssueTypes == nil {
		md.IssueTypes = []IssueTypeInfo{}
	}
	slices.SortFunc(md.Statuses, func(a, b StatusInfo) int { return dora.CompareIDs(a.ID, b.ID) })
	slices.SortFunc(md.IssueTypes, func(a, b IssueTypeInfo) int { return dora.CompareIDs(a.ID, b.ID) })
	return md, nil
}

// writeMetadata stores md, or removes the stored metadata when md is nil, so that names from
// an earlier sync never outlive the statuses they describe.
func writeMetadata(p *bolt.Bucket, md *ProjectMetadata) error {
	if md == nil {
		return p.Delete(keyMetadata)
	}
	return putJSON(p, keyMetadata, md)
}

// TenantSync returns the sync record of a tenant, or the zero TenantSync when none is stored.
func (s *Store) TenantSync(tenant string) (TenantSync, error) {
	if err := checkID("tenant", tenant); err != nil {
		return TenantSync{}, err
	}
	var st TenantSync
	err := s.db.View(func(tx *bolt.Tx) error {
		t := tenantBucket(tx, tenant)
		if t == nil {
			return nil
		}
		_, err := getJSON(t, keyTenantSync, &st)
		return err
	})
	if err != nil {
		return TenantSync{}, fmt.Errorf("read sync record of tenant %s: %w", tenant, err)
	}
	return st, nil
}

// PutTenantSync stores the sync record of a tenant, creating the tenant when needed.
func (s *Store) PutTenantSync(tenant string, st TenantSync) error {
	if err := checkID("tenant", tenant); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketTenants)
		if err != nil {
			return err
		}
		t, err := root.CreateBucketIfNotExists([]byte(tenant))
		if err != nil {
			return err
		}
		return putJSON(t, keyTenantSync, st)
	})
	if err != nil {
		return fmt.Errorf("store sync record of tenant %s: %w", tenant, err)
	}
	return nil
}
