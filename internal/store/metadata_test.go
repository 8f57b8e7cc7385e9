package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

func TestMetadata(t *testing.T) {
	named := &ProjectMetadata{
		Statuses:   []StatusInfo{{ID: "10001", Name: "Released", Category: dora.CategoryDone}, {ID: "3", Name: "In Progress", Category: dora.CategoryIndeterminate}},
		IssueTypes: []IssueTypeInfo{{ID: "10004", Name: "Fehler", UntranslatedName: "Bug"}},
	}
	t.Run("stored names ordered by id", func(t *testing.T) {
		s := openTemp(t)
		u := sampleUpdate(t)
		u.Metadata = named
		require.NoError(t, s.ReplaceProject("t1", u))
		md, err := s.Metadata("t1", "10001")
		require.NoError(t, err)
		assert.Equal(t, []StatusInfo{{ID: "3", Name: "In Progress", Category: dora.CategoryIndeterminate}, {ID: "10001", Name: "Released", Category: dora.CategoryDone}}, md.Statuses)
		assert.Equal(t, named.IssueTypes, md.IssueTypes)
	})
	t.Run("without names lists bare ids", func(t *testing.T) {
		s := openTemp(t)
		u := sampleUpdate(t)
		u.Metadata = named
		require.NoError(t, s.ReplaceProject("t1", u))
		u.Metadata = nil
		require.NoError(t, s.ReplaceProject("t1", u))
		md, err := s.Metadata("t1", "10001")
		require.NoError(t, err)
		assert.Equal(t, []StatusInfo{{ID: "1", Category: dora.CategoryNew}, {ID: "3", Category: dora.CategoryIndeterminate}, {ID: "10001", Category: dora.CategoryDone}}, md.Statuses)
		assert.Equal(t, []IssueTypeInfo{{ID: "10004", UntranslatedName: "Bug"}, {ID: "10005", UntranslatedName: "Sub-task", Subtask: true, HierarchyLevel: -1}}, md.IssueTypes)
	})
	t.Run("unsynced project not found", func(t *testing.T) {
		s := openTemp(t)
		require.NoError(t, s.PutSettings("t1", "10001", dora.Config{}))
		_, err := s.Metadata("t1", "10001")
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

func TestTenantSync(t *testing.T) {
	s := openTemp(t)
	st, err := s.TenantSync("t1")
	require.NoError(t, err)
	assert.True(t, st.FinishedAt.IsZero(), "no sync has finished for a new tenant")

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, s.PutTenantSync("t1", TenantSync{FinishedAt: at}))
	st, err = s.TenantSync("t1")
	require.NoError(t, err)
	assert.True(t, at.Equal(st.FinishedAt))

	tenants, err := s.Tenants()
	require.NoError(t, err)
	assert.Equal(t, []string{"t1"}, tenants)
	projects, err := s.Projects("t1")
	require.NoError(t, err)
	assert.Empty(t, projects, "the sync record is no project")

	require.NoError(t, s.DeleteTenant("t1"))
	st, err = s.TenantSync("t1")
	require.NoError(t, err)
	assert.True(t, st.FinishedAt.IsZero(), "deleting the tenant removes its sync record")
}
