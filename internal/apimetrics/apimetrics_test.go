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

// TestDryRunsAndWrites: dry runs are counted apart and are not writes;
// reads are not writes; a client's counters are keyed by method.
func TestDryRunsAndWrites(t *testing.T) {
	c, err := parse([]byte(`# TYPE apiserver_request_total counter
apiserver_request_total{code="200",dry_run="All",group="apps",resource="deployments",subresource="",verb="PATCH"} 7
apiserver_request_total{code="200",dry_run="",group="apps",resource="deployments",subresource="",verb="PATCH"} 2
apiserver_request_total{code="200",group="apps",resource="deployments",subresource="",verb="GET"} 40
apiserver_request_total{code="201",group="",resource="secrets",subresource="",verb="POST"} 1
`))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Writes(); w != 3 {
		t.Errorf("writes = %v, want 3 (2 PATCH + 1 POST; dry runs and reads excluded)", w)
	}
	if v := c.ByVerb(); v["PATCH (dry run)"] != 7 || v["PATCH"] != 2 || v["GET"] != 40 {
		t.Errorf("by verb = %v", v)
	}
	if got := c.Get("PATCH", "deployments", ""); got != 9 {
		t.Errorf("Get sums dry runs and real ones: %v", got)
	}
	cl, err := parseFamily([]byte(`# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",host="h",method="GET"} 5
rest_client_requests_total{code="404",host="h",method="GET"} 1
rest_client_requests_total{code="200",host="h",method="PUT"} 2
`), "rest_client_requests_total", clientKey)
	if err != nil {
		t.Fatal(err)
	}
	if v := cl.ByVerb(); v["GET"] != 6 || v["PUT"] != 2 || cl.Writes() != 2 {
		t.Errorf("client counts = %v", v)
	}
}
