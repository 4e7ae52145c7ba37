"""The benchmark suite and the district-scale data generator (not part of the portal)."""
