package jira

import (
	"bytes"
	"encoding/json"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// decodeJSON decodes one JSON value from data into out and rejects trailing data, so a
// truncated or concatenated body is an error rather than a partial result. It uses the
// encoding/json/v2 implementation, which decodes in one pass where encoding/json scans a
// value twice, with encoding/json's tolerance: invalid UTF-8 and duplicate member names are
// accepted, and member names match whatever their case.
func decodeJSON(data []byte, out any) error {
	return jsonv2.Unmarshal(data, out, v1Tolerance)
}

// v1Tolerance are the encoding/json/v2 options that accept what encoding/json accepts, so
// that an odd character in a field the client ignores does not fail a sync.
var v1Tolerance = jsonv2.JoinOptions(
	jsontext.AllowInvalidUTF8(true),
	jsontext.AllowDuplicateNames(true),
	jsonv2.MatchCaseInsensitiveNames(true),
)

// decodeErrorBody reads Jira's error body {"errorMessages":[...],"errors":{...}}.
// It reports false when the body is not of that form (an HTML page from a proxy, say).
func decodeErrorBody(data []byte) ([]string, map[string]string, bool) {
	var body jirajson.ErrorCollection
	if len(bytes.TrimSpace(data)) == 0 || json.Unmarshal(data, &body) != nil {
		return nil, nil, false
	}
	if len(body.ErrorMessages) == 0 && len(body.Errors) == 0 {
		return nil, nil, false
	}
	return body.ErrorMessages, body.Errors, true
}

// decodeIssuePage decodes a search page and checks what the paging loop relies on.
func decodeIssuePage(data []byte, page *jirajson.SearchResults) error {
	if err := decodeJSON(data, page); err != nil {
		return err
	}
	for i, issue := range page.Issues {
		if issue.ID == "" {
			return fmt.Errorf("issue %d of the page has no id", i)
		}
	}
	return nil
}
