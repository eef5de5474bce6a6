// Package output holds what hotplug's commands share to talk to a human or a
// script: the -o table|yaml|json printer, aligned tables, colour that is only
// used on a terminal, and progress (a spinner on a terminal, plain lines
// otherwise).
package output
