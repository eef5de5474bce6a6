package drift

// RespectManagers returns a Options.Respect that respects the built-in
// managers (RespectedManager) and every name in extra, compared exactly
// (e.g. "manager", kubebuilder's default, or "cert-manager-cainjector").
// Empty names are dropped; extra is copied. The same function can be given
// to the Helm client so that upgrades leave the same fields alone.
func RespectManagers(extra []string) func(manager string) bool {
	names := make(map[string]bool, len(extra))
	for _, n := range extra {
		if n != "" {
			names[n] = true
		}
	}
	return func(manager string) bool {
		return names[manager] || RespectedManager(manager)
	}
}
