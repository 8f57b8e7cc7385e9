// Package store keeps, in one bbolt file, everything the gadgets read: per installation (tenant)
// and Jira project, the metric settings, the sync cursor, the minimal facts of each issue, the
// versions, status and issue-type maps, and the precomputed reports.
//
// # Bucket layout (schema version 1)
//
//	meta/
//	  schema                  schema version, 8 bytes big-endian
//	tenants/
//	  <tenant>/               one bucket per installation id ("dev" in local development)
//	    sync                  JSON TenantSync: when the last sync of all its projects ended
//	    projects/
//	      <projectID>/        one bucket per Jira project id
//	        project           JSON dora.Project (id, key, name); absent until the first sync
//	        settings          JSON dora.Config; absent means all defaults
//	        sync              JSON SyncState: cursor, site time zone, incident JQL, stale flag
//	        statuses          JSON object: status id -> status category key
//	        issuetypes        JSON object: issue type id -> dora.IssueType
//	        versions          JSON array of dora.Version
//	        metadata          JSON ProjectMetadata: status and issue type names; absent before
//	                          the first sync that read them
//	        incidentjql       JSON array of the issue ids that match the incident JQL; absent without one
//	        issues/
//	          <issueID>       binary issue record, below
//	        reports/
//	          <days>          JSON StoredReport; the key is the window length as 4 decimal digits ("0090")
//
// Issues are most of the file, so their records are binary. In order: a format byte (1); the
// id, key, type id and current status id; the created and resolved times; the fix version ids
// and the affects version ids; the status transitions, each an instant, a from status id and a
// to status id. A string is a uvarint length and its bytes, a list is a uvarint count and its
// items, and a time is a byte 0 for "no time" or 1 followed by the varint Unix seconds, the
// uvarint nanoseconds and the varint UTC offset in seconds, so the offset Jira sent is kept.
//
// The file stores no issue summaries or descriptions, no user display names or account ids, and
// no tokens: an issue record holds ids, the key, timestamps and status transitions only.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every method runs in a single bbolt transaction, so a
// reader sees either all or none of a write: ReplaceProject writes the facts, the cursor and all
// reports of a project at once. bbolt allows one writer and many readers at a time.
//
// # Caveats
//
// bbolt takes an exclusive file lock, so only one process may open the file at a time. Open waits
// for the lock for Options.LockTimeout and then fails with ErrLocked.
//
// Deleting a tenant or project frees its pages, but bbolt does not overwrite them, so the
// deleted bytes remain in the file until later writes reuse those pages.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this build reads and writes.
const SchemaVersion = 1

// Errors returned by the store.
var (
	// ErrNotFound is returned when a tenant, project or report has not been stored yet.
	ErrNotFound = errors.New("not found")
	// ErrSchemaTooNew is returned by Open when the file was written by a newer build.
	ErrSchemaTooNew = errors.New("store schema is newer than this build supports")
	// ErrInvalidID is returned when a tenant, project or issue id is empty or too long.
	ErrInvalidID = errors.New("invalid id")
	// ErrLocked is returned by Open when another process still holds the file's lock after
	// Options.LockTimeout, usually because another server uses the same file.
	ErrLocked = errors.New("the file is locked by another process")
)

// Bucket and key names. See the layout in the package documentation.
var (
	bucketMeta      = []byte("meta")
	bucketTenants   = []byte("tenants")
	bucketProjects  = []byte("projects")
	bucketIssues    = []byte("issues")
	bucketReports   = []byte("reports")
	keySchema       = []byte("schema")
	keyProject      = []byte("project")
	keySettings     = []byte("settings")
	keySync         = []byte("sync")
	keyStatuses     = []byte("statuses")
	keyIssueTypes   = []byte("issuetypes")
	keyVersions     = []byte("versions")
	keyIncidentJQL  = []byte("incidentjql")
	defaultLockWait = 5 * time.Second
	// initialMmapSize is the address space bbolt maps at open. A file that outgrows its map
	// is mapped again during a write, which first copies every node the write holds, and
	// readers wait for it. A first sync of 100,000 issues left a file of 70 MB, and the
	// mapping costs address space only, not memory.
	initialMmapSize    = 256 << 20
	maxIDLength        = 255
	migrationsToLatest = []migration{
		{to: 1, apply: migrateCreateRoot},
	}
)

// Options configures Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the file lock.
	// Zero means 5 seconds; bbolt's own zero (wait forever) is never used.
	LockTimeout time.Duration
	// Logger receives the open, migrate and close lines. Nil means slog.Default().
	Logger *slog.Logger
}

// Store is an open store file. Create it with Open and release it with Close.
type Store struct {
	db   *bolt.DB
	path string // kept for the log line of Close, after bbolt has released the file
	log  *slog.Logger
}

// Open opens or creates the store file at path and migrates its schema to SchemaVersion.
// It returns ErrSchemaTooNew, wrapped, when the file comes from a newer build.
func Open(path string, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "store")

	wait := opts.LockTimeout
	if wait <= 0 {
		wait = defaultLockWait
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: wait, InitialMmapSize: initialMmapSize})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w (waited %s for its lock)", path, ErrLocked, wait)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	s := &Store{db: db, path: path, log: logger}
	from, err := s.migrate()
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	logger.Info("store opened", "path", path, "schema", SchemaVersion, "migratedFrom", from)
	return s, nil
}

// Close releases the file. Calls that are running finish first; later calls fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	s.log.Info("store closed", "path", s.path)
	return nil
}

// Path returns the file name of the store.
func (s *Store) Path() string { return s.path }

// migration upgrades a file from schema version to-1 to version to.
type migration struct {
	to    int
	apply func(tx *bolt.Tx) error
}

// migrate applies the migrations the file still needs, each in its own transaction, and
// returns the version the file had before.
func (s *Store) migrate() (int, error) {
	var from int
	err := s.db.View(func(tx *bolt.Tx) error {
		from = readSchema(tx)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if from > SchemaVersion {
		return from, fmt.Errorf("file has schema %d and this build reads up to %d: %w (use a newer devops-metrics build or a new --db file)",
			from, SchemaVersion, ErrSchemaTooNew)
	}

	for _, m := range migrationsToLatest {
		if m.to <= from {
			continue
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			if err := m.apply(tx); err != nil {
				return err
			}
			return writeSchema(tx, m.to)
		})
		if err != nil {
			return from, fmt.Errorf("migrate schema to %d: %w", m.to, err)
		}
		s.log.Info("store schema migrated", "from", m.to-1, "to", m.to)
	}
	return from, nil
}

// readSchema returns the schema version of the file; a new, empty file has version 0.
func readSchema(tx *bolt.Tx) int {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func writeSchema(tx *bolt.Tx, version int) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(version))
	return meta.Put(keySchema, v)
}

// migrateCreateRoot creates the top-level buckets of schema 1 in a new file.
func migrateCreateRoot(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketMeta); err != nil {
		return err
	}
	_, err := tx.CreateBucketIfNotExists(bucketTenants)
	return err
}

// checkID rejects ids that bbolt cannot use as keys, naming which id was wrong.
func checkID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%s id is empty: %w", kind, ErrInvalidID)
	}
	if len(id) > maxIDLength {
		return fmt.Errorf("%s id of %d bytes is longer than %d: %w", kind, len(id), maxIDLength, ErrInvalidID)
	}
	return nil
}

// Check runs bbolt's consistency check over the whole file and returns the first problem found.
// It reads every page, so it is meant for tests and for diagnosing a damaged file.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var first error
		// The checker goroutine blocks until every error is received, so drain them all.
		for err := range tx.Check() {
			if first == nil {
				first = fmt.Errorf("check store %s: %w", s.path, err)
			}
		}
		return first
	})
}
