package hub_test

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestMemberReadsOnlyRevisionSecrets: a member identity with exactly the
// generated least-privilege RBAC (access.MemberOnPivot and
// access.RevisionsOnPivot) reads the content of its assigned revision
// through the Role the hub keeps, and no other Secret of the namespace.
func TestMemberReadsOnlyRevisionSecrets(t *testing.T) {
	cfg, c, e := progressiveCommon(t, bigEnv(1<<10), "pivot-cluster", "member-1")
	ctx := e.ctx
	const user = "hotplug-agent:member-1"
	subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
	role, binding := access.MemberOnPivot("member-1", subject)
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unrelated"}, StringData: map[string]string{"k": "v"}}
	for _, o := range []client.Object{role, binding, access.RevisionsOnPivot("member-1", ns, subject), other} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	asMemberCfg := rest.CopyConfig(cfg)
	asMemberCfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	asMember, err := kube.NewClient(asMemberCfg)
	if err != nil {
		t.Fatal(err)
	}
	var revs rollout.RevisionReader
	name := rollout.AssignmentName("member-1")
	testenv.Eventually(t, 30*time.Second, "member-1 reads its revision's content", func() (bool, string) {
		cr := &appsv1.ControllerRevision{}
		asg := revs.Resolve(ctx, asMember, ns, rollout.ClassifyAssignment(name, cr, asMember.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, cr)))
		if asg.Revision == nil {
			return false, asg.Detail
		}
		if asg.Revision.Number != 1 || !strings.Contains(asg.Revision.Spec.Component[0].Env, distinctive) {
			t.Fatalf("member-1 read revision %d with env %.40q", asg.Revision.Number, asg.Revision.Spec.Component[0].Env)
		}
		return true, ""
	})
	for what, err := range map[string]error{
		"another Secret":               asMember.Get(ctx, client.ObjectKeyFromObject(other), &corev1.Secret{}),
		"the hub's certificate Secret": asMember.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hotplug-hub-tls"}, &corev1.Secret{}),
		"every Secret by list":         asMember.List(ctx, &corev1.SecretList{}, client.InNamespace(ns)),
		"a revision that is not kept":  asMember.Get(ctx, client.ObjectKey{Namespace: ns, Name: rollout.HistoryName(99)}, &corev1.Secret{}),
		"another cluster's assignment": asMember.Get(ctx, client.ObjectKey{Namespace: ns, Name: rollout.AssignmentName("pivot-cluster")}, &appsv1.ControllerRevision{}),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("member-1 reading %s: %v, want Forbidden", what, err)
		}
	}
}
