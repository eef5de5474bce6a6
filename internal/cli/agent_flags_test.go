package cli

import (
	"slices"
	"testing"
)

// TestDriftRespectManagersFlag: --drift-respect-managers takes names
// comma-separated and repeated, and defaults to none (the built-in list
// only).
func TestDriftRespectManagersFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{}},
		{[]string{"--drift-respect-managers=manager"}, []string{"manager"}},
		{[]string{"--drift-respect-managers=manager,istiod", "--drift-respect-managers", "cert-manager-cainjector"}, []string{"manager", "istiod", "cert-manager-cainjector"}},
	} {
		cmd := newAgentCommand()
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := cmd.Flags().GetStringSlice("drift-respect-managers")
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}
