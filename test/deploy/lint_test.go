package deploy

import (
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
)

// TestHelmLint runs `helm lint` (the SDK's linter) for both roles: no
// warnings, no errors. Info messages (e.g. no icon) are allowed.
func TestHelmLint(t *testing.T) {
	kv, err := common.ParseKubeVersion("v1.34.0")
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range map[string]map[string]any{"pivot": pivotValues(), "member": memberValues()} {
		l := lint.RunAll(chartPath(), vals, releaseNamespace, lint.WithKubeVersion(kv))
		// The chart has no icon on purpose; the linter saying so shows it ran.
		if len(l.Messages) == 0 {
			t.Errorf("%s: the linter reported nothing, not even the missing icon", name)
		}
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("%s: %s", name, m)
			}
		}
	}
}
