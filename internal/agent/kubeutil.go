package agent

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ensureNamespace creates namespace when it is missing.
func ensureNamespace(ctx context.Context, c client.Client, namespace string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	return nil
}

// createOrUpdate reads cm (through the direct client, so no cache of all
// ConfigMaps is needed), applies mutate and writes only when it changed.
func createOrUpdate(ctx context.Context, c client.Client, cm *corev1.ConfigMap, mutate func()) error {
	err := c.Get(ctx, client.ObjectKeyFromObject(cm), cm)
	if apierrors.IsNotFound(err) {
		if err := ensureNamespace(ctx, c, cm.Namespace); err != nil {
			return err
		}
		mutate()
		return c.Create(ctx, cm)
	}
	if err != nil {
		return err
	}
	before := cm.DeepCopy()
	mutate()
	if equality.Semantic.DeepEqual(before, cm) {
		return nil
	}
	return c.Update(ctx, cm)
}
