package store

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

func TestSortIssuesByID(t *testing.T) {
	cases := []struct {
		name string
		ids  []string
		want []string
	}{
		{"bucket byte order", []string{"10", "100", "1000", "101", "11", "9", "99"}, []string{"9", "10", "11", "99", "100", "101", "1000"}},
		{"already numeric order", []string{"9", "10", "100"}, []string{"9", "10", "100"}},
		{"shuffled", []string{"11", "100", "9", "10"}, []string{"9", "10", "11", "100"}},
		{"empty", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			issues := make([]dora.Issue, len(tc.ids))
			for i, id := range tc.ids {
				issues[i] = dora.Issue{ID: id, Key: "K-" + id}
			}
			var got []string
			for _, is := range sortIssuesByID(issues) {
				assert.Equal(t, "K-"+is.ID, is.Key, "issue %s keeps its fields", is.ID)
				got = append(got, is.ID)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
