package hub

import (
	"strings"
	"testing"
)

// refusedWith checks a guard's answer: with no want it must be allowed;
// otherwise refused with a message containing every want. It reports
// whether err is a refusal the caller may inspect further.
func refusedWith(t *testing.T, err error, want []string) bool {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return false
	}
	if err == nil {
		t.Fatal("allowed")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q lacks %q", err, w)
		}
	}
	return true
}
