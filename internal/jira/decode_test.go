package jira

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// TestDecodeJSONToleratesWhatEncodingJSONAccepts checks that replies encoding/json accepted
// still decode: invalid UTF-8 and a lone surrogate in ignored members, a repeated member name,
// and member names in another case.
func TestDecodeJSONToleratesWhatEncodingJSONAccepts(t *testing.T) {
	body := []byte("{\"issues\":[{\"ID\":\"10063\",\"key\":\"EE-1\",\"fields\":{" +
		"\"status\":{\"id\":\"3\",\"description\":\"bad \xff byte\",\"name\":\"\\ud800\"}," +
		"\"issuetype\":{\"id\":\"1\",\"id\":\"10001\"},\"Created\":\"2020-06-12T08:13:13.360+0800\"}}],\"isLast\":true}")

	var page jirajson.SearchResults
	require.NoError(t, decodeJSON(body, &page))

	require.Len(t, page.Issues, 1)
	issue := page.Issues[0]
	assert.Equal(t, "10063", issue.ID, "a member name in another case")
	assert.Equal(t, "3", issue.Fields.Status.ID)
	assert.Equal(t, "10001", issue.Fields.IssueType.ID, "the last of two equal names, as encoding/json keeps it")
	assert.False(t, issue.Fields.Created.IsZero())
}

func TestDecodeJSONRejectsTrailingData(t *testing.T) {
	var page jirajson.SearchResults
	assert.Error(t, decodeJSON([]byte(`{"issues":[]} {"issues":[]}`), &page))
	assert.Error(t, decodeJSON([]byte(`{"issues":[`), &page))
}
