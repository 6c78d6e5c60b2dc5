"""listImages: ParallelCluster-compatible custom image listing (library call + API Gateway handler)."""
