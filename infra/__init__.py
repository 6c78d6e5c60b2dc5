"""ListImagesApi: a reusable CDK construct for ParallelCluster-compatible listImages."""
