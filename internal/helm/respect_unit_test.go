package helm

import "testing"

// TestApplyMode: forcing and stripping only where Helm applies server-side;
// a release the Helm v3 CLI made (no method recorded) stays client-side,
// where Helm refuses forcing and a stripped field would be deleted.
func TestApplyMode(t *testing.T) {
	for _, tc := range []struct {
		method, ssa string
		force       bool
	}{
		{"ssa", "true", true},
		{"csa", "false", false},
		{"", "false", false},
	} {
		if ssa, force := applyMode(tc.method); ssa != tc.ssa || force != tc.force {
			t.Errorf("applyMode(%q) = %s, %v; want %s, %v", tc.method, ssa, force, tc.ssa, tc.force)
		}
	}
}
