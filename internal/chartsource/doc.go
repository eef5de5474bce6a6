// Package chartsource resolves, pulls and caches chart packages named by a
// source (an OCI registry or a Helm repository) instead of a file in the
// chart directory. It speaks to registries and repositories through the Helm
// v4 SDK (pkg/registry for OCI, pkg/repo for index.yaml), checks every bound
// before anything is expanded (the layer size from the manifest, the index
// size, a deadline per request), and keeps packages on disk by digest so an
// unchanged or restarted caller pulls nothing.
//
// Input is plain Go (Source, Credentials) so the agent, the CLI and the
// webhook can share it; Validate is pure and names the field it refuses.
package chartsource
