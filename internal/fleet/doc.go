// Package fleet reads and changes the live state of a hotplug fleet for the
// CLI: the cluster × component status matrix from the pivot's Cluster
// objects, switching a component on or off in a Hotplug and waiting for the
// agent to apply it, and previewing what an agent would do (diff).
package fleet
