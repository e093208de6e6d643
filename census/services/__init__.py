"""The only writers: each action in one atomic block with its version and audit entry."""
