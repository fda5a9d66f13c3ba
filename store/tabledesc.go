package store

// TableExtra is a placeholder; the control plane defines it.
type TableExtra struct{}
