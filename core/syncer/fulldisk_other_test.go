//go:build !linux

package syncer_test

import "errors"

func limitFileSize(string) error { return errors.New("a file size limit needs Linux") }
