package main

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// byteOffsetPattern finds the byte offsets that a config error names.
var byteOffsetPattern = regexp.MustCompile(`(?:byte offset|at byte) (\d+)`)

// FuzzDecodeReportConfig checks that any config file content either decodes into settings that
// pass Validate or fails with a one-line usage error whose byte offsets lie inside the file.
// Run it with go test -run '^$' -fuzz '^FuzzDecodeReportConfig$' -fuzztime 30s ./cmd/devops-metrics
func FuzzDecodeReportConfig(f *testing.F) {
	f.Add([]byte(`{"timeZone":"Europe/Berlin","incidentTypes":["Bug"]}`))
	f.Add([]byte(`{"timeZone":"UTC",`))
	f.Add([]byte(`{"timeZone": UTC}`))
	f.Add([]byte(`{"deploymentSourc":"status"}`))
	f.Add([]byte(`{"incidentTypes":"Bug"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte("  \n"))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := decodeReportConfig("config.json", data)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("decoded settings fail Validate: %v", verr)
			}
			return
		}
		var exit *exitError
		if !errors.As(err, &exit) || exit.code != 2 {
			t.Fatalf("error is not a usage error: %v", err)
		}
		message := err.Error()
		if strings.Contains(message, "\n") {
			t.Fatalf("message has more than one line: %q", message)
		}
		for _, match := range byteOffsetPattern.FindAllStringSubmatch(message, -1) {
			offset, convErr := strconv.Atoi(match[1])
			if convErr != nil || offset > len(data) {
				t.Fatalf("offset %s outside the %d-byte file: %q", match[1], len(data), message)
			}
		}
	})
}
