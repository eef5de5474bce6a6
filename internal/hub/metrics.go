package hub

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
)

// clusterAbnormal is 1 for a registered cluster the hub considers abnormal
// (its agent stopped reporting, or it reported itself abnormal), else 0;
// the alert "clusters abnormal" reads it. Set on every health check, so a
// deleted Cluster's series is dropped at the next one.
var clusterAbnormal = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "hotplug_cluster_abnormal",
	Help: "1 when the hub considers the cluster abnormal, 0 otherwise.",
}, []string{"cluster"})

func init() { metrics.Registry.MustRegister(clusterAbnormal) }

// recordClusters replaces the gauge's series with one per cluster.
func recordClusters(list *clusterv1.ClusterList) {
	clusterAbnormal.Reset()
	for i := range list.Items {
		v := 0.0
		if list.Items[i].Status.State == clusterv1.ClusterAbnormal {
			v = 1
		}
		clusterAbnormal.WithLabelValues(list.Items[i].Name).Set(v)
	}
}
