// Package faults holds hotplug's fault and bad-input suite: a corpus of bad
// inputs applied through the API with the webhook on and through the agent,
// crash cycles of the agent, and outages. `make faults` runs all of it at
// full length; the test command runs a short version (testing.Short or
// HOTPLUG_FAULTS_CYCLES).
package faults
