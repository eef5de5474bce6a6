package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// helmLikeError is a Helm error that quotes a rendered manifest, n bytes long.
func helmLikeError(n int) error {
	var b strings.Builder
	b.WriteString(`upgrade release mon/mon: unable to build kubernetes objects from release manifest: error validating "": `)
	for b.Len() < n {
		b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mon-é\ndata:\n  key: value\n---\n")
	}
	return errors.New(b.String()[:n])
}

// checkStatusBounded fails when a message of st exceeds its bound or the
// seed message is not a JSON object of strings.
func checkStatusBounded(t *testing.T, st hotplugv1.HotplugStatus) {
	t.Helper()
	if len(st.Message) > limits.MaxConditionBytes {
		t.Errorf("status.message is %d bytes, more than %d", len(st.Message), limits.MaxConditionBytes)
	}
	var seed map[string]string
	if err := json.Unmarshal([]byte(st.Message), &seed); err != nil {
		t.Errorf("status.message is not the seed's JSON object: %v", err)
	}
	for _, c := range st.Conditions {
		if len(c.Message) > limits.MaxConditionBytes || !utf8.ValidString(c.Message) {
			t.Errorf("condition %s message is %d bytes or not UTF-8", c.Type, len(c.Message))
		}
	}
	for _, cs := range st.Components {
		if len(cs.Message) > limits.MaxMessageBytes || !utf8.ValidString(cs.Message) {
			t.Errorf("component %s message is %d bytes (max %d) or not UTF-8", cs.Name, len(cs.Message), limits.MaxMessageBytes)
		}
		for _, c := range cs.Conditions {
			if len(c.Message) > limits.MaxMessageBytes {
				t.Errorf("component %s condition message is %d bytes", cs.Name, len(c.Message))
			}
		}
	}
}

func TestStatusMessagesAreBounded(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	huge := helmLikeError(100 << 10)
	comp := merge.Component{Name: "mon", Namespace: "mon", PkgName: "mon-1.0.0.tgz", Enabled: true}

	t.Run("a 100 KiB helm error", func(t *testing.T) {
		outs := map[string]Outcome{"mon": {Reconciled: true, ActionErr: huge, FailedAction: ActionUpgrade}}
		st := ComputeStatus(merge.Result{Components: []merge.Component{comp}}, targeted(merge.Result{Components: []merge.Component{comp}}, outs), hotplugv1.HotplugStatus{}, 1, now)
		checkStatusBounded(t, st)
		if len(st.Components) != 1 || !strings.HasPrefix(st.Components[0].Message, "helm upgrade failed: upgrade release mon/mon") ||
			!strings.HasSuffix(st.Components[0].Message, "…") {
			t.Errorf("component message does not keep the start and mark the cut: %.200q", st.Components[0].Message)
		}
	})
	t.Run("bounded error keeps its cause", func(t *testing.T) {
		wrapped := fmt.Errorf("x: %w", helm.ErrNotFound)
		long := boundedError(fmt.Errorf("%s %w", strings.Repeat("y", 5000), wrapped))
		if len(long.Error()) > limits.MaxMessageBytes || !errors.Is(long, helm.ErrNotFound) {
			t.Errorf("boundedError = %d bytes, Is(ErrNotFound) %v", len(long.Error()), errors.Is(long, helm.ErrNotFound))
		}
		if short := errors.New("short"); boundedError(short) != short { //nolint:errorlint // identity is the point: a short error is returned as it is
			t.Error("a short error was wrapped")
		}
	})
	t.Run("a 100 KiB config error and package error", func(t *testing.T) {
		cfgErr := &merge.Error{Object: "common", Component: "bad", Field: "env", Err: huge}
		outs := map[string]Outcome{"mon": {Reconciled: true, PackageErr: huge}}
		st := ComputeStatus(merge.Result{Components: []merge.Component{comp}, Errors: []*merge.Error{cfgErr}}, outs, hotplugv1.HotplugStatus{}, 1, now)
		checkStatusBounded(t, st)
	})
	t.Run("200 components failing with 4 KiB errors", func(t *testing.T) {
		var eff merge.Result
		outs := map[string]Outcome{}
		for i := range 200 {
			c := merge.Component{Name: fmt.Sprintf("component-%03d", i), Namespace: "ns", PkgName: "p.tgz", Enabled: true}
			eff.Components = append(eff.Components, c)
			outs[c.Name] = Outcome{Reconciled: true, ActionErr: helmLikeError(4 << 10), FailedAction: ActionInstall}
		}
		st := ComputeStatus(eff, targeted(eff, outs), hotplugv1.HotplugStatus{}, 1, now)
		checkStatusBounded(t, st)
		var seed map[string]string
		if json.Unmarshal([]byte(st.Message), &seed) == nil && len(seed) != 200 {
			t.Errorf("seed message names %d components, want all 200", len(seed))
		}
	})
	t.Run("a release held elsewhere", func(t *testing.T) {
		held := "release mon is pending-upgrade since 2026-11-26T23:50:00Z by another actor; left alone until 2026-11-27T00:00:00Z"
		outs := map[string]Outcome{"mon": {Reconciled: true, Held: held}}
		st := ComputeStatus(merge.Result{Components: []merge.Component{comp}}, targeted(merge.Result{Components: []merge.Component{comp}}, outs), hotplugv1.HotplugStatus{}, 1, now)
		if st.Phase != hotplugv1.PhaseProgressing || st.Components[0].Message != held || st.Components[0].Conditions[0].Reason != hotplugv1.ReasonReleaseHeld {
			t.Errorf("held release status = %s %+v", st.Phase, st.Components)
		}
	})
}
