package apimetrics

import "testing"

func TestParseSubTop(t *testing.T) {
	before, err := parse([]byte(`# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",group="cluster.kubecube.io",resource="clusters",scope="cluster",subresource="status",verb="PUT",version="v1"} 3
apiserver_request_total{code="409",component="apiserver",group="cluster.kubecube.io",resource="clusters",scope="cluster",subresource="status",verb="PUT",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",group="coordination.k8s.io",resource="leases",scope="namespace",subresource="",verb="PUT",version="v1"} 10
`))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parse([]byte(`# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",group="cluster.kubecube.io",resource="clusters",scope="cluster",subresource="status",verb="PUT",version="v1"} 3
apiserver_request_total{code="409",component="apiserver",group="cluster.kubecube.io",resource="clusters",scope="cluster",subresource="status",verb="PUT",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",group="coordination.k8s.io",resource="leases",scope="namespace",subresource="",verb="PUT",version="v1"} 25
apiserver_request_total{code="200",component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 2
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := before.Get("PUT", "clusters", "status"); got != 4 {
		t.Errorf("codes not summed: %v", got)
	}
	d := after.Sub(before)
	if d.Get("PUT", "clusters", "status") != 0 || d.Get("PUT", "leases", "") != 15 || d.Total() != 17 || d.ByVerb()["LIST"] != 2 {
		t.Errorf("delta = %v", d)
	}
	if top := d.Top(1); len(top) != 1 || top[0].String() != "PUT leases.coordination.k8s.io" {
		t.Errorf("top = %v", top)
	}
}
