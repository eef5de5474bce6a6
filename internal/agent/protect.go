package agent

import (
	"context"
	"fmt"
	"strconv"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ProtectionPolicy is the ValidatingAdmissionPolicy (and binding) that, in
// a member cluster, refuses every change to Hotplug objects by anyone but
// the agent: they are mirrors, and the pivot is where they are edited.
const ProtectionPolicy = "hotplug-mirror-protection"

// whoAmI asks the API server which user this client is.
func whoAmI(ctx context.Context, c client.Client) (string, error) {
	ssr := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, ssr); err != nil {
		return "", fmt.Errorf("asking the API server who the agent is: %w", err)
	}
	return ssr.Status.UserInfo.Username, nil
}

// protectionObjects returns the policy and binding that let only username
// change Hotplugs. The policy matches every Hotplug whatever its
// annotations, so adding kubecube.io/sync does not get around it.
func protectionObjects(cluster, username string) (*admissionv1.ValidatingAdmissionPolicy, *admissionv1.ValidatingAdmissionPolicyBinding) {
	msg := "'Hotplug ' + request.name + ' in member cluster ' + " + strconv.Quote(cluster) +
		" + ' is mirrored from the pivot cluster: change it on the pivot (only the hotplug agent may change it here)'"
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ProtectionPolicy},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{
				ResourceRules: []admissionv1.NamedRuleWithOperations{{RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update, admissionv1.Delete},
					Rule: admissionv1.Rule{
						APIGroups: []string{"hotplug.kubecube.io"}, APIVersions: []string{"*"},
						Resources: []string{"hotplugs", "hotplugs/status"},
					},
				}}},
			},
			Validations: []admissionv1.Validation{{
				Expression:        "request.userInfo.username == " + strconv.Quote(username),
				MessageExpression: msg,
				Reason:            ptr.To(metav1.StatusReasonForbidden),
			}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ProtectionPolicy},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        ProtectionPolicy,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	return policy, binding
}

// protectMirrors installs or refreshes the policy and its binding.
func protectMirrors(ctx context.Context, c client.Client, cluster string) error {
	user, err := whoAmI(ctx, c)
	if err != nil {
		return err
	}
	policy, binding := protectionObjects(cluster, user)
	for _, obj := range []client.Object{policy, binding} {
		obj.GetObjectKind().SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind(kindOf(obj)))
		if err := c.Patch(ctx, obj, client.Apply, client.FieldOwner("hotplug-agent"), client.ForceOwnership); err != nil { //nolint:staticcheck // typed objects, applied whole
			return fmt.Errorf("installing %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
	}
	return nil
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *admissionv1.ValidatingAdmissionPolicy:
		return "ValidatingAdmissionPolicy"
	default:
		return "ValidatingAdmissionPolicyBinding"
	}
}
