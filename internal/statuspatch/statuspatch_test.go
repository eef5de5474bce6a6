package statuspatch_test

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/statuspatch"
)

func newHotplug() *hotplugv1.Hotplug { return &hotplugv1.Hotplug{} }

func TestPatch(t *testing.T) {
	errBoom := errors.New("boom")
	key := client.ObjectKey{Name: "common"}
	cases := []struct {
		name string
		// concurrent, when set, writes the message of another writer just
		// before the first patch lands, so that patch conflicts.
		concurrent string
		missing    bool
		mutateErr  error
		phase      string
		wantWrote  bool
		wantPhase  string
		wantMsg    string
		wantCalls  int
		wantErr    func(error) bool
	}{
		{name: "unchanged writes nothing", phase: hotplugv1.PhaseProgressing, wantPhase: hotplugv1.PhaseProgressing, wantCalls: 1},
		{name: "changed is written", phase: hotplugv1.PhaseRunning, wantWrote: true, wantPhase: hotplugv1.PhaseRunning, wantCalls: 1},
		{name: "conflict retries on a fresh read and keeps the other write", phase: hotplugv1.PhaseRunning, concurrent: "other writer",
			wantWrote: true, wantPhase: hotplugv1.PhaseRunning, wantMsg: "other writer", wantCalls: 2},
		{name: "not found is returned", missing: true, phase: hotplugv1.PhaseRunning, wantErr: apierrors.IsNotFound},
		{name: "mutate error is returned unwritten", mutateErr: errBoom, phase: hotplugv1.PhaseRunning, wantPhase: hotplugv1.PhaseProgressing, wantCalls: 1,
			wantErr: func(err error) bool { return errors.Is(err, errBoom) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := &hotplugv1.Hotplug{}
			obj.Name = key.Name
			obj.Status.Phase = hotplugv1.PhaseProgressing
			b := fake.NewClientBuilder().WithScheme(kube.Scheme).WithStatusSubresource(&hotplugv1.Hotplug{})
			if !tc.missing {
				b = b.WithObjects(obj)
			}
			patches, raced := 0, false
			c := b.WithInterceptorFuncs(interceptor.Funcs{
				SubResourcePatch: func(ctx context.Context, c client.Client, sub string, o client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
					patches++
					if tc.concurrent != "" && !raced {
						raced = true
						other := &hotplugv1.Hotplug{}
						if err := c.Get(ctx, key, other); err != nil {
							return err
						}
						other.Status.Message = tc.concurrent
						if err := c.Status().Update(ctx, other); err != nil {
							return err
						}
					}
					return c.SubResource(sub).Patch(ctx, o, p, opts...)
				},
			}).Build()
			calls := 0
			wrote, err := statuspatch.Patch(context.Background(), c, c, key, newHotplug, func(hp *hotplugv1.Hotplug) (bool, error) {
				calls++
				if tc.mutateErr != nil {
					return false, tc.mutateErr
				}
				if hp.Status.Phase == tc.phase {
					return false, nil
				}
				hp.Status.Phase = tc.phase
				return true, nil
			})
			if tc.wantErr != nil {
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("err = %v, want a matching error", err)
				}
			} else if err != nil {
				t.Fatalf("Patch: %v", err)
			}
			if wrote != tc.wantWrote || calls != tc.wantCalls {
				t.Errorf("wrote = %v after %d mutate calls, want %v after %d", wrote, calls, tc.wantWrote, tc.wantCalls)
			}
			if !tc.wantWrote && tc.concurrent == "" && patches != 0 {
				t.Errorf("%d patches sent, want none", patches)
			}
			if tc.missing {
				return
			}
			got := &hotplugv1.Hotplug{}
			if err := c.Get(context.Background(), key, got); err != nil {
				t.Fatal(err)
			}
			if got.Status.Phase != tc.wantPhase || got.Status.Message != tc.wantMsg {
				t.Errorf("status = %q/%q, want %q/%q", got.Status.Phase, got.Status.Message, tc.wantPhase, tc.wantMsg)
			}
		})
	}
}
