"""ctid-client: placeholder until the SDK lands."""
