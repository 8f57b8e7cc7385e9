package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// IssueCount returns the number of issues stored for a project without decoding them. It
// returns ErrNotFound, wrapped, when the project has not been synced.
func (s *Store) IssueCount(tenant, projectID string) (int, error) {
	if err := checkTenantProject(tenant, projectID); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		p := projectBucket(tx, tenant, projectID)
		if p == nil || p.Get(keyProject) == nil {
			return ErrNotFound
		}
		if issues := p.Bucket(bucketIssues); issues != nil {
			n = issues.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count issues of project %s of tenant %s: %w", projectID, tenant, err)
	}
	return n, nil
}

// RefreshReports moves the stored reports of a project to a later instant without computing
// them again, for a sync that found no issue added, changed or removed.
//
// In one transaction it compares the other inputs of the reports with u's: the project, the
// status and issue type maps, the versions, the metadata, the incident JQL and its matches, the
// site time zone and the settings. The reports must also not be marked stale. When everything
// matches, it replaces each stored report by age(report), keeps the stored evidence byte for
// byte, stores u.Sync and returns true. Otherwise it writes nothing and returns false, so the
// caller computes the reports again. It also writes nothing and returns false when the stored
// reports are not exactly reports in number, or were computed by another reports version than
// u.Sync.ReportsVersion. It returns ErrNotFound, wrapped, when the project has not been synced.
func (s *Store) RefreshReports(tenant string, u ProjectUpdate, reports int, age func(dora.Report) (dora.Report, error)) (bool, error) {
	if err := checkTenantProject(tenant, u.Project.ID); err != nil {
		return false, err
	}
	if u.FullIssues || len(u.Upserts) > 0 || len(u.Deletes) > 0 {
		return false, fmt.Errorf("refresh reports of project %s of tenant %s: the update changes issues, so the reports must be computed again", u.Project.ID, tenant)
	}
	refreshed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		p := projectBucket(tx, tenant, u.Project.ID)
		if p == nil || p.Get(keyProject) == nil {
			return ErrNotFound
		}
		same, err := sameInputs(p, u)
		if err != nil || !same {
			return err
		}
		stored := p.Bucket(bucketReports)
		if stored == nil || countKeys(stored) != reports {
			return nil
		}
		type aged struct{ key, value []byte }
		var values []aged
		err = stored.ForEach(func(k, v []byte) error {
			value, err := ageStoredReport(v, age)
			if err != nil {
				return fmt.Errorf("report %s: %w", k, err)
			}
			values = append(values, aged{key: bytes.Clone(k), value: value})
			return nil
		})
		if err != nil {
			return err
		}
		for _, kv := range values {
			if err := stored.Put(kv.key, kv.value); err != nil {
				return err
			}
		}
		if err := nextReportsGeneration(p); err != nil {
			return err
		}
		if err := putJSON(p, keySync, u.Sync); err != nil {
			return err
		}
		refreshed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("refresh reports of project %s of tenant %s: %w", u.Project.ID, tenant, err)
	}
	return refreshed, nil
}

// countKeys returns the number of keys in b.
func countKeys(b *bolt.Bucket) int {
	n := 0
	_ = b.ForEach(func(_, _ []byte) error { n++; return nil })
	return n
}

// sameInputs reports whether the stored inputs of the reports, all but the issues, equal u's.
// Each value is compared in the JSON form it is stored in.
func sameInputs(p *bolt.Bucket, u ProjectUpdate) (bool, error) {
	var st SyncState
	if _, err := getJSON(p, keySync, &st); err != nil {
		return false, err
	}
	if st.Stale || st.SiteTimeZone != u.Sync.SiteTimeZone || st.IncidentJQL != u.Sync.IncidentJQL ||
		st.ReportsVersion != u.Sync.ReportsVersion {
		return false, nil
	}
	changed, err := settingsChanged(p, u.Settings)
	if err != nil || changed {
		return false, err
	}

	var matches any // nil is stored as an absent key
	if u.IncidentJQLMatches != nil {
		matches = matchingIDs(u.IncidentJQLMatches)
	}
	var metadata any
	if u.Metadata != nil {
		metadata = u.Metadata
	}
	values := []struct {
		key []byte
		v   any
	}{
		{keyProject, u.Project},
		{keyStatuses, u.Statuses},
		{keyIssueTypes, u.IssueTypes},
		{keyVersions, u.Versions},
		{keyIncidentJQL, matches},
		{keyMetadata, metadata},
	}

	for _, kv := range values {
		stored := p.Get(kv.key)
		if kv.v == nil {
			if stored != nil {
				return false, nil
			}
			continue
		}
		data, err := json.Marshal(kv.v)
		if err != nil {
			return false, fmt.Errorf("encode %s: %w", kv.key, err)
		}
		if !bytes.Equal(data, stored) {
			return false, nil
		}
	}
	return true, nil
}

// ageStoredReport returns the stored report value v with its report member replaced by
// age(report) and the rest, the evidence, copied byte for byte. A stored value is written by
// json.Marshal of a StoredReport, so the report member comes first; any other order is an error.
func ageStoredReport(v []byte, age func(dora.Report) (dora.Report, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the stored value is not a JSON object")
	}
	if name, err := dec.Token(); err != nil || name != "report" {
		return nil, errors.New("the stored value does not start with its report member")
	}
	var r dora.Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	rest := v[dec.InputOffset():]
	r, err := age(r)
	if err != nil {
		return nil, err
	}
	report, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	out := make([]byte, 0, len(`{"report":`)+len(report)+len(rest))
	out = append(out, `{"report":`...)
	out = append(out, report...)
	return append(out, rest...), nil
}

// keyReportsGeneration holds a project's reports generation, 8 bytes big-endian.
var keyReportsGeneration = []byte("reportsgen")

// nextReportsGeneration gives the reports of project bucket p a new generation: the next value
// of a sequence of the whole file, so that a number is never used twice, not even after the
// project is deleted and synced again. Every write of a project's reports calls it.
func nextReportsGeneration(p *bolt.Bucket) error {
	meta := p.Tx().Bucket(bucketMeta)
	if meta == nil {
		return errors.New("the store has no meta bucket")
	}
	gen, err := meta.NextSequence()
	if err != nil {
		return err
	}
	return p.Put(keyReportsGeneration, binary.BigEndian.AppendUint64(nil, gen))
}

// ReportJSONSince returns what ReportJSON returns, together with the generation of the
// project's reports: a number that changes with every write of them. When known is that
// generation, the caller already has the report, so it returns nil JSON and reads nothing more.
// The generation and the JSON come from one transaction. The errors are those of ReportJSON.
func (s *Store) ReportJSONSince(tenant, projectID string, windowDays int, known uint64) ([]byte, uint64, error) {
	if err := checkTenantProject(tenant, projectID); err != nil {
		return nil, 0, err
	}
	var raw json.RawMessage
	var gen uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		p := projectBucket(tx, tenant, projectID)
		if p == nil {
			return ErrNotFound
		}
		if v := p.Get(keyReportsGeneration); len(v) == 8 {
			gen = binary.BigEndian.Uint64(v)
		}
		if gen != 0 && gen == known {
			return nil
		}
		reports := p.Bucket(bucketReports)
		if reports == nil {
			return ErrNotFound
		}
		data := reports.Get(reportKey(windowDays))
		if data == nil {
			return ErrNotFound
		}
		return decodeReportMember(data, &raw)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read %d-day report of project %s of tenant %s: %w", windowDays, projectID, tenant, err)
	}
	return raw, gen, nil
}
