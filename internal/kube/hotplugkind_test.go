package kube

import "testing"

func TestHotplugKindIn(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want KindState
	}{
		{"served", `{"groupVersion":"hotplug.kubecube.io/v1","resources":[{"name":"hotplugs","verbs":["create","delete","get","list"]}]}`, KindServed},
		{"terminating", `{"groupVersion":"hotplug.kubecube.io/v1","resources":[{"name":"hotplugs","verbs":["delete","deletecollection","get","list","watch"]}]}`, KindVanished},
		{"not listed", `{"groupVersion":"hotplug.kubecube.io/v1","resources":[{"name":"hotplugs/status","verbs":["get"]}]}`, KindVanished},
		{"another group version", `{"groupVersion":"v1","resources":[]}`, KindUnknown},
		{"not JSON", `<html>`, KindUnknown},
	}
	for _, c := range cases {
		if got, _ := HotplugKindIn([]byte(c.raw)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
