package cli

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{usageError{errors.New("bad flag")}, 2},
		{fmt.Errorf("wrapped: %w", usageError{errors.New("x")}), 2},
		{exitCodeError{code: ExitChanges, msg: "2 component(s) would change"}, 3},
	}
	for _, tc := range tests {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
