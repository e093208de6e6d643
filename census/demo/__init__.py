"""The demo community: generated households, storefronts and units, and the demo accounts."""
