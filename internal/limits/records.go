package limits

// Records the agent keeps in the cluster for itself. They can be edited by
// hand, so the agent bounds what it reads back as it bounds user input.
const (
	// MaxInventoryDependsOnBytes bounds the inventory ConfigMap's dependsOn
	// annotation, read and written. Half the API server's limit for all of
	// an object's annotations (256 KiB) leaves room for others' annotations;
	// it holds ~70 components that each name the maximum of 32 others.
	MaxInventoryDependsOnBytes = 128 << 10
)
