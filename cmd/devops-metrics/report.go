package main

import (
	"context"
	"errors"
	"io"
)

func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("report: not implemented yet")
}
