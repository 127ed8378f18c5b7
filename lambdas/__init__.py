"""Lambda handlers of sagemaker-constructs: one package per function (the library ships them as assets)."""
