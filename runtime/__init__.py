"""Lambda asset root: the runtime package lives in listimages/ (standard library + boto3 only)."""
