package controlplane

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kwokNodeAnnotation selects the simulated nodes that kwok manages.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// startWorkloads runs controller-manager, scheduler and kwok against the
// cluster and registers one simulated node, so that Deployments, DaemonSets
// and StatefulSets really roll out and namespaces are really deleted.
func (c *Cluster) startWorkloads(ctx context.Context) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	kc := "--kubeconfig=" + c.Kubeconfig
	common := []string{kc, "--authentication-kubeconfig=" + c.Kubeconfig, "--authorization-kubeconfig=" + c.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1"}
	type child struct {
		name string
		args []string
	}
	children := []child{
		{"kube-controller-manager", append(append([]string{}, common...),
			"--secure-port="+strconv.Itoa(ports[0]),
			"--cluster-name="+c.Name,
			"--service-account-private-key-file="+c.path("sa.key"),
			"--root-ca-file="+c.path("ca.crt"),
			"--use-service-account-credentials=false",
		)},
		{"kube-scheduler", append(append([]string{}, common...), "--secure-port="+strconv.Itoa(ports[1]))},
		{"kwok", []string{kc,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
			"--config=" + c.binDir + "/kwok-stages.yaml",
			"--cidr=10.244.0.0/16",
			"--node-ip=10.0.0.1",
		}},
	}
	for _, ch := range children {
		bin, err := binary(c.binDir, ch.name)
		if err != nil {
			return err
		}
		if ch.name == "kwok" {
			if _, err := binary(c.binDir, "kwok-stages.yaml"); err != nil {
				return err
			}
		}
		p, err := startProcess(c.Name+"/"+ch.name, bin, ch.args, c.path(ch.name+".log"))
		if err != nil {
			return err
		}
		c.others = append(c.others, p)
	}
	return c.addNode(ctx, "kwok-node-0")
}

// addNode registers a simulated node that kwok turns Ready.
func (c *Cluster) addNode(ctx context.Context, name string) error {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return fmt.Errorf("client for %s: %w", c.Name, err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
				"kubernetes.io/arch": "amd64", "type": "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("registering node %s in %s: %w", name, c.Name, err)
	}
	// Renewed until the cluster stops, not until ctx (the start-up's) ends.
	renewCtx, cancel := context.WithCancel(context.Background())
	c.stopRenewal = append(c.stopRenewal, cancel)
	go renewNodeLease(renewCtx, cs, name)
	return nil
}
