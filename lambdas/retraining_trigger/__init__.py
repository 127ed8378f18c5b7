"""The retraining trigger: starts a SageMaker pipeline once per incident (see handler.py)."""
