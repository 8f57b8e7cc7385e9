package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// encode writes v as the JSON body of a reply with the given status. A failure to write is
// logged, because the status line has already gone out.
func encode(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		loggerFrom(r.Context()).Warn("response write failed", "err", err)
	}
}

// writeJSON writes body, one encoded JSON value, as a reply with the given status and the
// headers of encode.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		loggerFrom(r.Context()).Warn("response write failed", "err", err)
	}
}

// decode reads exactly one JSON value from the request body into v. Unknown fields, trailing
// data and bodies over the limit set by the BodyLimit middleware are errors that name the
// problem.
func decode(r *http.Request, v any) error {
	return decodeJSON(r.Body, v)
}

func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeDecodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return invalidf("invalid JSON body: it must contain exactly one JSON object")
	}
	return nil
}

func describeDecodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, io.EOF):
		return invalidf("missing JSON body: send the settings as a JSON object")
	case errors.As(err, &syntax):
		return invalidf("invalid JSON body at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typeErr):
		return invalidf("invalid JSON body: field %q must be a %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
	default:
		return invalidf("invalid JSON body: %s", fmt.Sprint(err))
	}
}
