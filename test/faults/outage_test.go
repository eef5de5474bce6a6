package faults

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/mirror"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// outageLength is how long the pivot stays down: HOTPLUG_FAULTS_OUTAGE
// (`make faults` sets 60s), else 20s, the short version.
func outageLength(t *testing.T) time.Duration {
	if v := os.Getenv("HOTPLUG_FAULTS_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("HOTPLUG_FAULTS_OUTAGE=%q is not a positive duration", v)
		}
		return d
	}
	return 20 * time.Second
}

// TestOutages runs a pivot and a member with the hub and both agents, and
// takes parts of the control plane away: the member's kube-apiserver, the
// etcd every cluster stores in, and the pivot's kube-apiserver (for
// HOTPLUG_FAULTS_OUTAGE, with a config change right after it returns).
// Through each, no release is uninstalled, reinstalled or upgraded that the
// configuration did not change, no mirror is lost, the member says the pivot
// is away while it is, and the fleet converges afterwards.
func TestOutages(t *testing.T) {
	outage := outageLength(t)
	f := startFleet(t)
	ctx := context.Background()
	var figures []string

	t.Run("member kube-apiserver restarted", func(t *testing.T) {
		before := f.snapshot(t)
		if err := f.member.StopAPIServer(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		startCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := f.member.StartAPIServer(startCtx); err != nil {
			t.Fatal(err)
		}
		took := f.waitConverged(t, 2*time.Minute)
		f.unchangedSince(t, before, nil)
		figures = append(figures, fmt.Sprintf("member kube-apiserver down 5s: reconverged %v after it was ready again", took.Round(100*time.Millisecond)))
	})

	t.Run("etcd restarted", func(t *testing.T) {
		before := f.snapshot(t)
		if err := f.env.StopEtcd(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		startCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := f.env.StartEtcd(startCtx); err != nil {
			t.Fatal(err)
		}
		took := f.waitConverged(t, 2*time.Minute)
		f.unchangedSince(t, before, nil)
		figures = append(figures, fmt.Sprintf("etcd down 5s: reconverged %v after it was healthy again", took.Round(100*time.Millisecond)))
	})

	t.Run("pivot kube-apiserver down", func(t *testing.T) {
		before := f.snapshot(t)
		termAt := time.Now()
		downAt := termAt
		if err := f.pivot.StopAPIServer(); err != nil {
			t.Fatal(err)
		}
		stopped := time.Since(downAt)
		// Stopping waits for the process to exit; the outage counts from there.
		downAt = time.Now()
		// While the pivot is away the member keeps its releases and mirrors
		// and says so.
		var cond *metav1.Condition
		testenv.Eventually(t, outage, "the member says the pivot is unreachable", func() (bool, string) {
			f.memberUnchanged(t, before)
			c, err := pivotConnected(ctx, f.mc)
			if err != nil {
				return false, err.Error()
			}
			cond = c
			return c != nil && c.Status == metav1.ConditionFalse, fmt.Sprintf("PivotConnected is %v", c)
		})
		noticed := time.Since(termAt)
		if cond.Reason == "" || cond.Reason == mirror.ReasonReachable || cond.Message == "" {
			t.Errorf("PivotConnected=False says too little: reason %q, message %q", cond.Reason, cond.Message)
		}
		t.Logf("the member noticed after %v: %s: %s", noticed.Round(100*time.Millisecond), cond.Reason, cond.Message)
		for time.Since(downAt) < outage {
			f.memberUnchanged(t, before)
			time.Sleep(time.Second)
		}
		f.memberUnchanged(t, before)
		if c, err := pivotConnected(ctx, f.mc); err != nil || c == nil || c.Status != metav1.ConditionFalse {
			t.Errorf("at the end of the outage PivotConnected is %v (%v), want False", c, err)
		}

		startCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := f.pivot.StartAPIServer(startCtx); err != nil {
			t.Fatal(err)
		}
		upAt := time.Now()
		down := upAt.Sub(downAt)
		// Right away, a change of common on the pivot, as an operator would
		// make it (admission by the hub's webhook included).
		marker := fmt.Sprintf("after-outage-%d", upAt.UnixNano())
		var editErr error
		testenv.Eventually(t, 30*time.Second, "the pivot admits an edit of common", func() (bool, string) {
			editErr = setEnvKey(ctx, f.pc, "logagent", "outage", marker)
			return editErr == nil, fmt.Sprint(editErr)
		})
		admitted := time.Since(upAt)
		took := f.waitConverged(t, 2*time.Minute)
		for _, cl := range []string{pivotName, memberName} {
			h := f.ph
			if cl == memberName {
				h = f.mh
			}
			r, err := h.Get(ctx, "logagent", "logagent")
			if err != nil {
				t.Fatal(err)
			}
			if r.Values["outage"] != marker {
				t.Errorf("%s: logagent values %v lack outage: %s", cl, r.Values, marker)
			}
		}
		f.unchangedSince(t, before, map[string]bool{"logagent/logagent": true})
		figures = append(figures, fmt.Sprintf("pivot kube-apiserver down %v after stopping it took %v: member said PivotConnected=False %v after the SIGTERM; edit of common admitted %v after the pivot was ready; fleet reconverged with it %v after the pivot was ready",
			down.Round(100*time.Millisecond), stopped.Round(100*time.Millisecond), noticed.Round(100*time.Millisecond), admitted.Round(100*time.Millisecond), (admitted+took).Round(100*time.Millisecond)))
	})

	for _, s := range figures {
		t.Log("outages: " + s)
	}
}

// fleetSnapshot is what must survive an outage: every release of both
// clusters (revision, status, time of its action) and the member's mirrors.
type fleetSnapshot struct {
	pivot, member map[string]string
	mirrors       map[string]types.UID
}

func (f *fleetEnv) snapshot(t *testing.T) fleetSnapshot {
	t.Helper()
	return fleetSnapshot{pivot: mustStamps(t, f.ph), member: mustStamps(t, f.mh), mirrors: mirrorUIDs(t, f.mc)}
}

// memberUnchanged checks, while the member's API server is up, that its
// releases and mirrors are those of before.
func (f *fleetEnv) memberUnchanged(t *testing.T, before fleetSnapshot) {
	t.Helper()
	if got := mustStamps(t, f.mh); !equalMaps(got, before.member) {
		t.Fatalf("member releases changed during the outage: %v, want %v", got, before.member)
	}
	if got := mirrorUIDs(t, f.mc); !equalUIDs(got, before.mirrors) {
		t.Fatalf("member mirrors changed during the outage: %v, want %v", got, before.mirrors)
	}
}

// unchangedSince checks that every release of both clusters is as before,
// except those in changed, which must have been upgraded exactly once (not
// reinstalled), and that the member's mirrors are the same objects.
func (f *fleetEnv) unchangedSince(t *testing.T, before fleetSnapshot, changed map[string]bool) {
	t.Helper()
	for _, cl := range []struct {
		name        string
		before, now map[string]string
	}{{pivotName, before.pivot, mustStamps(t, f.ph)}, {memberName, before.member, mustStamps(t, f.mh)}} {
		if len(cl.now) != len(cl.before) {
			t.Errorf("%s: releases %v, before %v", cl.name, cl.now, cl.before)
			continue
		}
		for k, was := range cl.before {
			now, ok := cl.now[k]
			switch {
			case !ok:
				t.Errorf("%s: release %s is gone", cl.name, k)
			case changed[k]:
				var r0, r1 int
				_, _ = fmt.Sscanf(was, "%d/", &r0)
				_, _ = fmt.Sscanf(now, "%d/", &r1)
				if r1 != r0+1 || !strings.Contains(now, "/deployed/") {
					t.Errorf("%s: release %s went from %s to %s, want one upgrade", cl.name, k, was, now)
				}
			case now != was:
				t.Errorf("%s: release %s changed from %s to %s although its configuration did not", cl.name, k, was, now)
			}
		}
	}
	if got := mirrorUIDs(t, f.mc); !equalUIDs(got, before.mirrors) {
		t.Errorf("member mirrors are not the same objects: %v, before %v", got, before.mirrors)
	}
}

// mirrorUIDs is name -> UID of every mirror in the member: a mirror deleted
// and made again has a new UID.
func mirrorUIDs(t *testing.T, c client.Client) map[string]types.UID {
	t.Helper()
	list := &hotplugv1.HotplugList{}
	if err := c.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	out := map[string]types.UID{}
	for _, hp := range list.Items {
		if hp.Labels[hotplugv1.MirrorLabel] == "true" {
			out[hp.Name] = hp.UID
		}
	}
	if len(out) != 2 {
		t.Fatalf("the member has mirrors %v, want common and %s", out, memberName)
	}
	return out
}

func equalUIDs(a, b map[string]types.UID) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// setEnvKey sets key to value in the env of component in common, keeping
// the rest of the env, with Get+Update retried on conflict. It returns the
// number of conflicts it retried.
func setEnvKey(ctx context.Context, c client.Client, component, key, value string) error {
	_, err := setEnvKeyCounting(ctx, c, component, key, value)
	return err
}

func setEnvKeyCounting(ctx context.Context, c client.Client, component, key, value string) (int, error) {
	conflicts := 0
	backoff := retry.DefaultRetry
	backoff.Steps = 50
	err := retry.RetryOnConflict(backoff, func() error {
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
			return err
		}
		found := false
		for i := range hp.Spec.Component {
			comp := &hp.Spec.Component[i]
			if comp.Name != component {
				continue
			}
			found = true
			env := map[string]any{}
			if err := yaml.Unmarshal([]byte(comp.Env), &env); err != nil {
				return fmt.Errorf("env of %s: %w", component, err)
			}
			env[key] = value
			data, err := yaml.Marshal(env)
			if err != nil {
				return err
			}
			comp.Env = string(data)
		}
		if !found {
			return fmt.Errorf("common has no component %s", component)
		}
		err := c.Update(ctx, hp)
		if apierrors.IsConflict(err) {
			conflicts++
		}
		return err
	})
	return conflicts, err
}
