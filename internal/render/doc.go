// Package render computes, offline, what hotplug would deploy to one
// cluster: it reads Hotplug objects from YAML files, merges `common` with
// the cluster's own object exactly as the agent does (internal/merge), and
// renders the resulting charts' manifests through the Helm SDK. Nothing here
// talks to a cluster.
package render
