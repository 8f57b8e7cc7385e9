package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// Error codes of the JSON error body.
const (
	CodeInvalid          = "invalid"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeNotComputed      = "not_computed"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeTooLarge         = "too_large"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

// Error is an error with the status and message sent to the client. Err, when set, is logged and
// never sent.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// invalidf returns a 400 error whose message names the bad value and the fix.
func invalidf(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// notFoundf returns a 404 error.
func notFoundf(format string, args ...any) error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error reply.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// classify maps an error to the status, code and message sent to the client. Internal details
// never reach the message: they are logged by writeError.
func classify(err error) (int, string, string) {
	var apiErr *Error
	var denied *access.DeniedError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Status, apiErr.Code, apiErr.Message
	case errors.Is(err, forge.ErrInvalidToken):
		return http.StatusUnauthorized, CodeUnauthorized,
			"the Forge invocation token is missing or failed verification: call this route through Forge (invokeRemote or a trigger)"
	case errors.As(err, &denied):
		return http.StatusForbidden, CodeForbidden,
			fmt.Sprintf("you do not have the Jira permission %s on project %s: ask a Jira administrator for access", denied.Permission, strings.Join(denied.ProjectIDs, ", "))
	case errors.Is(err, access.ErrUnavailable):
		return http.StatusServiceUnavailable, CodeUnavailable,
			"your Jira permissions could not be checked, so no data is shown: try again in a minute"
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes: send a smaller body", tooLarge.Limit)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, CodeNotFound, "not found: the project has not been synced for this installation yet"
	default:
		return http.StatusInternalServerError, CodeInternal, "internal error: the details are in the server log under this request id"
	}
}

// writeError sends err as a JSON error reply and logs it: server errors at error level, client
// errors at info level.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, message := classify(err)
	logger := loggerFrom(r.Context())
	if status >= 500 {
		logger.Error("request failed", "status", status, "code", code, "err", err)
	} else {
		logger.Info("request rejected", "status", status, "code", code, "err", err)
	}
	encode(w, r, status, errorBody{Error: errorDetail{Code: code, Message: message}})
}
